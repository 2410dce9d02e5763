"""The blocking-query index rules Consul documents ("Blocking Queries: Implementation Details").

- **Reset the index if it goes backwards** (a snapshot restore, a tombstone
  reap, an agent that lost its data): the next query is then sent with
  index 0, a plain read, which restarts the loop from the current state.
- **Sanity-check that the index is greater than zero**: an index of 0 (an old
  Consul bug) would make every "blocking" query return at once. It is reset
  to 0 too, but the answer counts as not sane, so the loop slows down.
- **Rate-limit** loops that return immediately: an answer that neither moved
  the index nor waited for the wait to end is not sane either.

Not sane answers are still used (their value is the current state); the
watcher just waits with its backoff before the next query.
"""

from __future__ import annotations

__all__ = ["next_index"]

#: An unchanged index is only normal when the query waited at least this part of ``wait``.
_EARLY_RETURN = 0.5


def next_index(previous: int, returned: int, *, elapsed: float, wait: float) -> tuple[int, bool]:
    """The index for the next query, and whether this answer looked sane.

    ``previous`` is the index the query was sent with (0: a plain read),
    ``returned`` the answer's ``X-Consul-Index``, ``elapsed`` how long the
    query took and ``wait`` the wait it asked for.
    """
    if returned <= 0:
        return 0, False
    if returned < previous:
        return 0, True
    if previous and returned == previous and elapsed < wait * _EARLY_RETURN:
        return returned, False  # the server did not block: do not spin on it
    return returned, True
