"""Asterisk's queue_log (and its CDR file, cdr.py) into the work-order database,
idempotently.

`python -m ticketing.reports.ingest` reads each queue_log file named in
YHT_TICKETING_QUEUE_LOGS from where it stopped: the file's inode and the
byte offset after the last whole line taken are kept in `queue_log_cursors`
and moved in the same transaction as the lines they cover, so a crash of
this process (or a restart of Asterisk, which appends to the same file)
leaves no gap and takes no line twice. A rotated or truncated file (another
inode, or shorter than the offset) is read from its start. Why a file and
not Asterisk's realtime queue_log into PostgreSQL: that puts the database in
the call path (an insert per queue event, inline); the file costs the call
nothing and is read here at leisure.

Each line is also keyed by its SHA-1 (its natural key): a line seen twice
is stored once and counted as a duplicate. A line that is not queue_log
(too few fields, a time or event that is not one) is skipped and counted.
A half-written last line waits for its newline. Lines are applied in file
order, not time order, so a clock jump does not reorder a call's events.

A batch the database refuses (a line whose effect breaks a constraint: a
rule this module got wrong, a hand-edited file) is taken again line by line,
each in a savepoint: the refused line stays stored, is counted as rejected
and logged, and the lines after it go on. The seventh day (docs/day.md) had
one such line stop the ingestion for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ticketing.reports import cdr
from ticketing.reports.models import QueueCall, QueueLogCursor, QueueLogLine
from ticketing.reports.stays import apply

log = logging.getLogger("ticketing.reports")
EVENT = re.compile(r"^[A-Z][A-Z_]{1,23}$")
READ_BYTES = 1 << 20  # a batch: at most this much of the file per transaction


@dataclass(frozen=True)
class Entry:
    key: str
    at: dt.datetime
    call_id: str
    queue: str
    agent: str
    event: str
    data: list[str]


def parse(raw: bytes) -> Entry | None:
    """One queue_log line: epoch|callid|queue|agent|event|data1|...; None
    for anything else."""
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    fields = text.split("|")
    if len(fields) < 5 or not fields[0].isdigit() or not EVENT.match(fields[4]):
        return None
    if not fields[1] or len(fields[1]) > 64 or len(fields[2]) > 32 or len(fields[3]) > 64:
        return None
    try:
        at = dt.datetime.fromtimestamp(int(fields[0]), dt.UTC)
    except (OverflowError, ValueError, OSError):
        return None
    key = hashlib.sha1(text.encode()).hexdigest()
    return Entry(key, at, fields[1], fields[2], fields[3], fields[4], fields[5:])


@dataclass
class Taken:
    lines: int = 0
    malformed: int = 0
    duplicates: int = 0
    rejected: int = 0  # stored, but the database refused its effect

    def add(self, other: Taken) -> None:
        self.lines += other.lines
        self.malformed += other.malformed
        self.duplicates += other.duplicates
        self.rejected += other.rejected

    def __bool__(self) -> bool:
        return bool(self.lines or self.malformed or self.duplicates or self.rejected)


REFUSED = (IntegrityError, DataError)  # what a line's own effect can raise


def is_cdr(path: Path) -> bool:
    """cdr_csv's Master.csv (and any *.csv) holds CDRs; anything else is a queue_log."""
    return path.suffix == ".csv"


def ingest_once(db_session: Session, path: Path, one_by_one: bool = False) -> Taken:
    """What is new in one file since the cursor, in one transaction (the
    caller's); returns what was taken. `one_by_one`: each line's effect in a
    savepoint, a refused one set aside (after the batch was refused)."""
    source = str(path)
    cursor = db_session.get(QueueLogCursor, source)
    if cursor is None:
        cursor = QueueLogCursor(source=source, inode=0, offset=0, taken=0, malformed=0,
                                duplicates=0, rejected=0)  # fmt: skip
        db_session.add(cursor)
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_ino != cursor.inode or stat.st_size < cursor.offset:
                if cursor.inode:
                    log.info("%s was rotated or truncated: reading it from the start", source)
                cursor.inode, cursor.offset = stat.st_ino, 0
            handle.seek(cursor.offset)
            chunk = handle.read(READ_BYTES)
    except FileNotFoundError:
        return Taken()
    end = chunk.rfind(b"\n") + 1  # only whole lines; a half-written one waits
    lines = [raw for raw in chunk[:end].splitlines() if raw.strip()]
    if is_cdr(path):
        taken = _take_cdrs(db_session, lines)
    else:
        taken = _take_queue_log(db_session, lines, source, one_by_one)
    cursor.offset += end
    cursor.taken += taken.lines
    cursor.malformed += taken.malformed
    cursor.duplicates += taken.duplicates
    cursor.rejected += taken.rejected
    cursor.updated_at = dt.datetime.now(dt.UTC)
    return taken


def _take_cdrs(db_session: Session, lines: list[bytes]) -> Taken:
    """CDR lines stored once each (cdr.py); nothing else to apply."""
    taken = Taken()
    records = []
    for raw in lines:
        record = cdr.parse(raw)
        if record is None:
            taken.malformed += 1
        else:
            records.append(record)
    new = cdr.store(db_session, records)
    taken.lines = len(new)
    taken.duplicates = len(records) - len(new)
    return taken


def _take_queue_log(db_session: Session, lines: list[bytes], source: str,
                    one_by_one: bool) -> Taken:  # fmt: skip
    taken = Taken()
    entries: list[Entry] = []
    for raw in lines:
        entry = parse(raw)
        if entry is None:
            taken.malformed += 1
            continue
        entries.append(entry)
    # stored once: a line whose key is there already (read twice, a rotated
    # file's repeat) is not inserted, and not applied again
    inserted = _insert_new(db_session, entries)
    stays: dict[tuple[str, str], QueueCall] = {}  # this batch's latest stay per call and queue
    for entry in entries:
        if entry.key not in inserted:
            taken.duplicates += 1
            continue
        inserted.discard(entry.key)  # the same line twice in this batch: applied once
        taken.lines += 1
        if not one_by_one:
            apply(db_session, entry, stays)
            continue
        try:
            with db_session.begin_nested():
                apply(db_session, entry, stays)
        except REFUSED as error:
            # the line itself stays stored (its insert is outside the savepoint)
            taken.rejected += 1
            stays.clear()  # objects of the rolled-back savepoint are gone
            log.error("queue_log %s: line %s (%s of call %s at %s) refused (%s): set aside",
                      source, entry.key[:12], entry.event, entry.call_id, entry.at.isoformat(),
                      type(error.orig).__name__)  # fmt: skip
    return taken


def _insert_new(db_session: Session, entries: list[Entry]) -> set[str]:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key: the keys that
    were new. One statement per batch (PostgreSQL and SQLite alike)."""
    if not entries:
        return set()
    postgres = db_session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    rows = [{"key": e.key, "at": e.at, "call_id": e.call_id, "queue": e.queue, "agent": e.agent,
             "event": e.event, "data": "|".join(e.data)} for e in entries]  # fmt: skip
    new: set[str] = set()
    for start in range(0, len(rows), 1000):  # 7,000 parameters a statement
        statement = insert(QueueLogLine).values(rows[start : start + 1000])  # type: ignore[operator]
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
        new |= set(db_session.scalars(statement.returning(QueueLogLine.key)))
    return new


def ingest(sessions: sessionmaker[Session], paths: list[Path]) -> Taken:
    """Every file until nothing new is left."""
    total = Taken()
    for path in paths:
        while True:
            try:
                with sessions.begin() as db_session:
                    taken = ingest_once(db_session, path)
            except REFUSED as error:
                log.error("queue_log %s: a batch was refused (%s); taking it line by line",
                          path, type(error.orig).__name__)  # fmt: skip
                with sessions.begin() as db_session:
                    taken = ingest_once(db_session, path, one_by_one=True)
            total.add(taken)
            if not taken:
                break
    return total


@dataclass
class Progress:
    """What the following process has done, for /metrics."""

    taken: Taken = field(default_factory=Taken)
    rounds: int = 0
    failed_rounds: int = 0
    last_ok: float = 0.0  # epoch of the last round that went through

    def figures(self) -> dict:
        t = self.taken
        return {
            "yht_ingest_lines": ("counter", "queue_log and CDR lines taken, skipped or set aside",
                                 [({"result": "taken"}, float(t.lines)),
                                  ({"result": "malformed"}, float(t.malformed)),
                                  ({"result": "duplicate"}, float(t.duplicates)),
                                  ({"result": "rejected"}, float(t.rejected))]),
            "yht_ingest_rounds": ("counter", "ingestion rounds, by outcome",
                                  [({"outcome": "ok"}, float(self.rounds - self.failed_rounds)),
                                   ({"outcome": "failed"}, float(self.failed_rounds))]),
            "yht_ingest_last_ok_seconds": ("gauge", "epoch of the last round that went through",
                                           [({}, self.last_ok)]),
        }  # fmt: skip


def follow(sessions: sessionmaker[Session], paths: list[Path], interval_s: float,
           progress: Progress | None = None) -> None:  # fmt: skip
    """Forever: new lines every `interval_s`; a failed round (database down)
    is logged and tried again with growing pauses."""
    progress = progress or Progress()
    pause = interval_s
    schema_seen = False
    while True:
        progress.rounds += 1
        try:
            taken = ingest(sessions, paths)
            progress.taken.add(taken)
            progress.last_ok = time.time()
            if taken.malformed or taken.duplicates or taken.rejected:
                log.warning("queue_log: %d lines taken, %d malformed skipped, %d seen before,"
                            " %d refused", taken.lines, taken.malformed, taken.duplicates,
                            taken.rejected)  # fmt: skip
            pause = interval_s
            schema_seen = True
        except Exception as error:
            if not schema_seen and _no_schema_yet(error):
                # the work-order service creates the tables as it starts: wait
                # for it quietly, once said (issue 28 item 16)
                if progress.failed_rounds == 0:
                    log.info("queue_log ingestion waits for the work-order service to create"
                             " its tables")  # fmt: skip
                progress.failed_rounds += 1
                time.sleep(min(interval_s, 1.0))
                continue
            progress.failed_rounds += 1
            log.exception("queue_log ingestion failed; trying again in %.0f s", pause)
            pause = min(pause * 2, 60.0)
        time.sleep(pause)


def _no_schema_yet(error: BaseException) -> bool:
    """A missing table (SQLite's "no such table", PostgreSQL's undefined_table)."""
    cause = getattr(error, "orig", error)
    return "no such table" in str(cause) or type(cause).__name__ == "UndefinedTable"


def main() -> None:
    """`python -m ticketing.reports.ingest`: follow YHT_TICKETING_QUEUE_LOGS
    and YHT_TICKETING_CDR_FILES."""
    from ticketing.database import make_engine, session_factory
    from ticketing.settings import TicketingSettings
    from yht import logs
    from yht.metrics import serve_metrics

    logs.setup()
    settings = TicketingSettings()
    named = f"{settings.queue_logs},{settings.cdr_files}"
    paths = [Path(p.strip()) for p in named.split(",") if p.strip()]
    if not paths:
        raise SystemExit("YHT_TICKETING_QUEUE_LOGS is empty: name the queue_log file(s) to read")
    # the work-order service migrates the database; until it has, a round
    # fails, is logged and is tried again
    engine = make_engine(settings.database_url, connect_timeout_s=settings.db_connect_timeout_s,
                         statement_timeout_ms=settings.db_statement_timeout_ms)  # fmt: skip
    log.info("queue_log ingestion: %s every %.0f s", ", ".join(map(str, paths)),
             settings.ingest_interval_s)  # fmt: skip
    progress = Progress()
    if settings.ingest_metrics_port:
        serve_metrics(settings.ingest_metrics_port, progress.figures)
    try:
        follow(session_factory(engine), paths, settings.ingest_interval_s, progress)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
