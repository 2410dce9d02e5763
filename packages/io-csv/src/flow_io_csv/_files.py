"""Which files a ``csv`` home reads: one file, a directory's CSV files, or a glob."""

from __future__ import annotations

import glob
from pathlib import Path

from ._errors import CsvConfigError

__all__ = ["CSV_SUFFIXES", "find_files"]

#: File names a directory is scanned for (pyarrow decompresses .gz and .bz2 by suffix).
CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".csv.bz2", ".tsv.gz", ".tsv.bz2")


def find_files(path: Path, where: str) -> list[Path]:
    """The files to read, sorted by name (an empty list for an empty directory or glob).

    A path that does not exist (and is no glob) is an error: it is almost always
    a typo, while an empty directory is a legitimate empty source.
    """
    text = str(path)
    if glob.has_magic(text):
        return sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _is_csv(p.name))
    if path.is_file():
        return [path]
    raise CsvConfigError(f"{where}: {path} does not exist; check home.path")


def _is_csv(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(CSV_SUFFIXES)
