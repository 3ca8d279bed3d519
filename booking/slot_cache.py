"""Computed free slots kept across requests, valid exactly as long as nothing they depend on changed.

    request -> key (the query, as parsed) -> entry?   read the calendar revision (one tiny query)
        entry computed at this revision, not expired  -> filter its starts by the current minimum
                                                         notice and horizon (bisect), take `limit`,
                                                         join the pre-encoded slots: the body
        otherwise                                     -> compute (booking/availability.py), store

What invalidates an entry:
  - any write to a table that decides free slots: database triggers bump `calendar_revision` in the
    writer's transaction (see its migration), from every code path and every worker process;
  - time alone: a live hold that runs out frees its slot with no write, so an entry expires at the
    earliest expiry among the holds that made it busy, and in any case after
    SLOT_CACHE_MAX_AGE_SECONDS; the minimum notice and the horizon move with the clock, so entries
    hold their slots without those two bounds (within the widest window they may be asked for) and
    apply them when serving.

The cache is per worker process and per engine (the tests run two databases in one process), an
LRU bounded in entries and bytes, guarded by a lock: sync routes run on a thread pool.
"""

import re
import threading
import weakref
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from core.settings import get_settings

__all__ = ["CachedSlots", "Revision", "SlotCache", "cache_for", "current_revision", "revision_in_transaction"]

# (revision, stamp): the revision number can repeat after a rollback; with the stamp it cannot.
Revision = tuple[int, int]

_REVISION_SQL = "SELECT revision, stamp FROM calendar_revision WHERE id = 1"
_BODY_START = b'{"slots":['
_BODY_END = b"]}"
_COMPUTE_LOCKS = 64
_COMPUTE_WAIT_SECONDS = 2.0
_NEXT_SLOT = re.compile(rb'\},\{"start":')
# What a slot costs beside its JSON: its start datetime, its offset, their places in two lists.
_SLOT_OVERHEAD_BYTES = 48 + 32 + 16


@dataclass(frozen=True, slots=True)
class CachedSlots:
    """One search's slots at one revision, ready to serve; starts are ascending (UTC)."""

    revision: Revision
    computed_at: datetime
    expires_at: datetime  # max age, or the first live hold among its busy times to run out
    starts: list[datetime]
    # The slots' JSON objects, encoded as the uncached response encodes them, each followed by a
    # comma; slot i is slots_json[offsets[i] : offsets[i + 1] - 1]. One buffer, so that serving any
    # run of slots copies one slice instead of joining a thousand small strings.
    slots_json: bytes
    offsets: list[int]
    # True when every slot of the window searched is here; False when the search stopped at a limit,
    # and then the slots run without a gap from the window's start up to the last one.
    complete: bool
    service_line: str  # what a partner restricted to some service lines is checked against
    size: int

    def body(self, low: datetime, high: datetime, limit: int) -> bytes | None:
        """The response of the first `limit` slots with low <= start < high, or None when this
        entry cannot tell (it stopped at a limit before finding that many)."""
        first = bisect_left(self.starts, low)
        end = bisect_left(self.starts, high, first)
        if end - first < limit and not self.complete:
            return None
        end = min(end, first + limit)
        if end == first:
            return _BODY_START + _BODY_END
        run = memoryview(self.slots_json)[self.offsets[first] : self.offsets[end] - 1]
        return b"".join((_BODY_START, run, _BODY_END))


def new_entry(
    *,
    revision: Revision,
    computed_at: datetime,
    expires_at: datetime,
    starts: list[datetime],
    slots_json: bytes,
    complete: bool,
    service_line: str,
) -> CachedSlots:
    """An entry from the slots' JSON array, encoded in one call as the uncached response encodes it
    (flat objects whose first key is "start"), and their starts in the same order."""
    inner = slots_json[1:-1]
    # Objects are cut apart where one ends and the next begins. The pattern holds a bare quote, which
    # JSON never leaves unescaped inside a string, and a slot holds no nested object: it matches
    # there and nowhere else.
    offsets = [0, *(found.start() + 2 for found in _NEXT_SLOT.finditer(inner))]
    if inner:
        offsets.append(len(inner) + 1)
    if len(offsets) != len(starts) + 1:
        raise ValueError(f"{len(starts)} starts for {len(offsets) - 1} slots")
    size = len(inner) + _SLOT_OVERHEAD_BYTES * len(starts)
    return CachedSlots(
        revision, computed_at, expires_at, starts, inner + b",", offsets, complete, service_line, size
    )


class SlotCache:
    """A least-recently-used map of search key to CachedSlots, bounded in entries and bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedSlots] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0  # requests served from an entry
        self.misses = 0  # entries computed
        self._computing = [threading.Lock() for _ in range(_COMPUTE_LOCKS)]

    def serve(
        self,
        key: Hashable,
        *,
        revision: Revision,
        now: datetime,
        low: datetime,
        high: datetime,
        limit: int,
        service_lines: Collection[str] = (),
    ) -> bytes | None:
        """The body of the first `limit` slots with low <= start < high from the entry for `key`, if
        it was computed at `revision`, is still good at `now`, is of one of `service_lines` (any
        when empty) and can tell; otherwise None."""
        with self._lock:
            entry = self._entries.get(key)
            # A clock that stepped back could ask for slots an entry never held: that is a miss too.
            if entry is None or entry.revision != revision or not entry.computed_at <= now < entry.expires_at:
                entry = None
            else:
                self._entries.move_to_end(key)
        body = None
        if entry is not None and (not service_lines or entry.service_line in service_lines):
            body = entry.body(low, high, limit)
        if body is not None:
            with self._lock:
                self.hits += 1
        return body

    @contextmanager
    def computing(self, key: Hashable) -> Iterator[None]:
        """Held while computing the entry for `key`: after a write, the requests that miss the same
        key wait for the first one's entry instead of all computing it at once. Locks are shared by
        hash (a bounded set), and the wait is bounded: a waiter may hold a pooled connection the
        computing thread needs, so after a while it computes on its own."""
        lock = self._computing[hash(key) % _COMPUTE_LOCKS]
        acquired = lock.acquire(timeout=_COMPUTE_WAIT_SECONDS)
        try:
            yield
        finally:
            if acquired:
                lock.release()

    def put(self, key: Hashable, entry: CachedSlots) -> None:
        with self._lock:
            self.misses += 1
            if entry.size > self.max_bytes:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


_caches: "weakref.WeakKeyDictionary[Engine, SlotCache]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(session: Session) -> SlotCache | None:
    """The cache of the database this session reads, or None when SLOT_CACHE_ENTRIES is 0."""
    settings = get_settings()
    if settings.slot_cache_entries <= 0:
        return None
    engine = session.get_bind().engine
    cache = _caches.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(
                engine, SlotCache(settings.slot_cache_entries, settings.slot_cache_max_mib << 20)
            )
    cache.max_entries = settings.slot_cache_entries
    cache.max_bytes = settings.slot_cache_max_mib << 20
    return cache


def current_revision(session: Session) -> Revision:
    """The latest calendar revision this session can see, as cheaply as possible.

    Inside a transaction (the session's own, or the tests' outer one), read within it: a writer
    must see its own uncommitted revision. Otherwise read it on a pooled connection without a
    transaction; this skips the session's transaction machinery, which costs several times the
    query itself. An entry matching a revision read this way holds the latest committed data.
    """
    bind = session.get_bind()
    if session.in_transaction() or isinstance(bind, Connection):
        return revision_in_transaction(session)
    dbapi_error = bind.dialect.loaded_dbapi.Error
    try:
        return _revision_outside_transaction(bind)
    except dbapi_error as error:
        # The raw driver's errors skip SQLAlchemy's wrapping; wrapped, an unreachable database is
        # the API's usual 503 instead of a 500.
        raise DBAPIError.instance(_REVISION_SQL, None, error, dbapi_error) from error


def _revision_outside_transaction(bind: Engine) -> Revision:
    connection = bind.raw_connection()
    try:
        driver = connection.driver_connection
        # psycopg would wrap the SELECT in BEGIN ... ROLLBACK: two more round trips than the query.
        # (pysqlite needs nothing: SQLAlchemy switched its own transaction handling off.)
        autocommit = bind.dialect.name == "postgresql" and not driver.autocommit  # type: ignore[union-attr]
        if autocommit:
            driver.autocommit = True  # type: ignore[union-attr]
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_REVISION_SQL)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            if autocommit:
                driver.autocommit = False  # type: ignore[union-attr]
    finally:
        connection.close()  # back to the pool
    assert row is not None, "calendar_revision has no row: run the migrations"
    return (row[0], row[1])


def revision_in_transaction(session: Session) -> Revision:
    """The calendar revision within the session's transaction (beginning it if need be).

    Slots computed after this read, in the same transaction, hold data at least this new: on SQLite
    the transaction reads one snapshot; on PostgreSQL (read committed) each later statement sees
    everything committed before it. Data newer than the revision is harmless: its label is then
    already out of date and, since revisions only grow, never matches a later read.
    """
    row = session.connection().exec_driver_sql(_REVISION_SQL).one()
    return (row[0], row[1])
