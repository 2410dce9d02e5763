"""Live configuration: watchers, codecs, capacitors, composites and health."""
