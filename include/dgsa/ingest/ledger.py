"""The file ledger (audit.source_file): one row per file version ever seen, never deleted.

register() looks at what the drive holds now and records it:
- unchanged (same path, size and mtime as a known version): nothing to do, no hashing;
- still being written (young and changing between two looks): one `pending` row per path;
- a new version: hashed; same bytes as an earlier received file -> `duplicate`; otherwise
  `new` (to be read by a load task); older versions of the same path -> `superseded`;
- not a submission, or in a folder without a province code: `ignored` / `rejected` at once.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

from dgsa.foundation import config
from dgsa.ingest import drive
from dgsa.ingest.drive import Entry

log = logging.getLogger(__name__)
LOCK_KEY = 0x64677361  # "dgsa": one registering scan at a time per warehouse
READ_STATUSES = ("loaded", "partially_loaded", "new")
NO_ACCESS = ("FILE_NO_ACCESS", "FOLDER_NO_ACCESS")   # the OS refused: looked at again every scan


def start_run(cur, root: Path, dag_run_id: str | None = None, scope: str = "ingest") -> int:
    cur.execute("INSERT INTO audit.load_run (drive, dag_run_id, scope) VALUES (%s, %s, %s) RETURNING load_id",
                (str(root), dag_run_id, scope))
    return cur.fetchone()[0]


def _settled(entries: list[Entry], now: dt.datetime) -> tuple[list[Entry], list[Entry]]:
    """Split into (settled, pending): a young file must keep its size and mtime across two looks."""
    age_limit = dt.timedelta(seconds=config.settled_age_seconds())
    # only files that will be read need to be complete; ignored/rejected ones are just recorded
    young = [e for e in entries if e.status is None and now - e.mtime < age_limit]
    if not young:
        return entries, []
    time.sleep(config.settle_seconds())
    changed = set()
    for e in young:
        try:
            st = os.stat(e.path)
        except OSError:
            changed.add(e.rel_path)
            continue
        if (st.st_size, drive._mtime(st)) != e.stat_key:
            changed.add(e.rel_path)
    return [e for e in entries if e.rel_path not in changed], [e for e in entries if e.rel_path in changed]


def register(cur, root: Path, load_id: int) -> dict:
    """Record the drive's current files in the ledger. Returns counts by outcome."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    cur.execute("SELECT now()")
    now = cur.fetchone()[0]
    entries = drive.scan(root)
    cur.execute("""SELECT DISTINCT ON (rel_path, size_bytes, modified_at) rel_path, size_bytes, modified_at
                   FROM audit.source_file WHERE (sha256 IS NOT NULL OR status <> 'pending')
                   AND coalesce(reason_code, '') <> ALL(%s)""", (list(NO_ACCESS),))   # retried every scan
    known = {(p, s, m) for p, s, m in cur.fetchall()}
    fresh = [e for e in entries if (e.rel_path, e.size, e.mtime) not in known]
    counts = {"files_seen": len(entries), "unchanged": len(entries) - len(fresh)}
    cur.execute("UPDATE audit.source_file SET last_seen_at = %s WHERE rel_path = ANY(%s) AND status <> 'pending'",
                (now, [e.rel_path for e in entries if (e.rel_path, e.size, e.mtime) in known]))
    settled, pending = _settled(fresh, now)
    for e in pending:
        _upsert_pending(cur, e, now, load_id)
    counts["pending"] = len(pending)
    # earliest received first, so that among identical copies the earliest (then first path) wins
    versions = sorted(((e, min(e.mtime, now)) for e in settled), key=lambda p: (p[1], p[0].rel_path))
    for e, received in versions:
        outcome = _record_version(cur, e, received, now, load_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    cur.execute("UPDATE audit.load_run SET files_seen = %s, files_new = %s WHERE load_id = %s",
                (len(entries), counts.get("new", 0), load_id))
    return counts


def _upsert_pending(cur, e: Entry, now, load_id) -> None:
    cur.execute("""UPDATE audit.source_file SET size_bytes = %s, modified_at = %s, last_seen_at = %s
                   WHERE rel_path = %s AND status = 'pending'""", (e.size, e.mtime, now, e.rel_path))
    if cur.rowcount == 0:
        cur.execute("""INSERT INTO audit.source_file (rel_path, kind, province_code, round_code, size_bytes,
                         modified_at, first_seen_at, received_at, last_seen_at, status, reason_code, message, load_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', 'FILE_NOT_SETTLED', %s, %s)""",
                    (e.rel_path, e.kind, e.province_code, e.round_code, e.size, e.mtime, now,
                     min(e.mtime, now), now, config.message("FILE_NOT_SETTLED")[1], load_id))


def _record_version(cur, e: Entry, received, now, load_id) -> str:
    try:
        digest = None if e.reason_code == "FOLDER_NO_ACCESS" else drive.sha256(e.path)
    except OSError as exc:      # no permission: one unreadable file must not cost the scan
        log.warning("cannot read %s: %s", e.rel_path, exc.strerror)
        digest = None
        if e.status is None:
            e.status, e.reason_code = "rejected", "FILE_NO_ACCESS"
    if e.reason_code in NO_ACCESS:
        return _record_no_access(cur, e, received, now, load_id)
    cur.execute("SELECT file_id FROM audit.source_file WHERE rel_path = %s AND sha256 = %s", (e.rel_path, digest))
    row = cur.fetchone()
    if row:  # same content, only the timestamp moved (touched, or copied again): same version
        cur.execute("UPDATE audit.source_file SET modified_at = %s, size_bytes = %s, last_seen_at = %s "
                    "WHERE file_id = %s", (e.mtime, e.size, now, row[0]))
        # a version skipped because it was being written to, now back as it was: read it this time
        cur.execute("""UPDATE audit.source_file SET status = 'new', reason_code = NULL, message = NULL,
                         processed_at = NULL WHERE file_id = %s AND reason_code = 'FILE_CHANGED'""", (row[0],))
        return "touched"
    status, reason, duplicate_of = e.status or "new", e.reason_code, None
    if status == "new" and e.size > 0:
        cur.execute("""SELECT file_id FROM audit.source_file
                       WHERE sha256 = %s AND rel_path <> %s AND status IN ('loaded', 'partially_loaded', 'new')
                       ORDER BY received_at, rel_path LIMIT 1""", (digest, e.rel_path))
        dup = cur.fetchone()
        if dup:
            status, reason, duplicate_of = "duplicate", "DUPLICATE_CONTENT", dup[0]
    message = config.message(reason)[1] if reason else None
    cur.execute("DELETE FROM audit.source_file WHERE rel_path = %s AND status = 'pending' RETURNING first_seen_at",
                (e.rel_path,))
    cur.execute("""INSERT INTO audit.source_file (rel_path, kind, province_code, round_code, sha256, size_bytes,
                     modified_at, first_seen_at, received_at, last_seen_at, status, reason_code, message,
                     duplicate_of, load_id, processed_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING file_id""",
                (e.rel_path, e.kind, e.province_code, e.round_code, digest, e.size, e.mtime, now, received, now,
                 status, reason, message, duplicate_of, load_id, None if status == "new" else now))
    file_id = cur.fetchone()[0]
    cur.execute("""UPDATE audit.source_file SET status = 'superseded', reason_code = 'SUPERSEDED', message = %s,
                     superseded_by = %s
                   WHERE rel_path = %s AND file_id <> %s AND status NOT IN ('superseded', 'pending')""",
                (config.message("SUPERSEDED")[1], file_id, e.rel_path, file_id))
    return status


def _record_no_access(cur, e: Entry, received, now, load_id) -> str:
    """A file or folder the pipeline may not read: one ledger row per (path, size, mtime), seen
    again at every scan until it can be read; it supersedes nothing (what is in force stays)."""
    cur.execute("""UPDATE audit.source_file SET last_seen_at = %s WHERE rel_path = %s AND reason_code = %s
                   AND size_bytes = %s AND modified_at = %s AND status = 'rejected'""",
                (now, e.rel_path, e.reason_code, e.size, e.mtime))
    if cur.rowcount:
        return "unchanged"
    cur.execute("""INSERT INTO audit.source_file (rel_path, kind, province_code, round_code, size_bytes, modified_at,
                     first_seen_at, received_at, last_seen_at, status, reason_code, message, load_id, processed_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'rejected', %s, %s, %s, %s)""",
                (e.rel_path, e.kind, e.province_code, e.round_code, e.size, e.mtime, now, received, now,
                 e.reason_code, config.message(e.reason_code)[1], load_id, now))
    return "no_access"


def files_to_load(cur, *, kind: str, province_code: str | None = None,
                  province_codes: list[str] | None = None) -> list[int]:
    """Waiting file versions of a kind, of one province or several (None: all)."""
    codes = province_codes if province_codes is not None else ([province_code] if province_code else None)
    if codes is None:
        cur.execute("SELECT file_id FROM audit.source_file WHERE status = 'new' AND kind = %s ORDER BY file_id",
                    (kind,))
    else:
        cur.execute("""SELECT file_id FROM audit.source_file WHERE status = 'new' AND kind = %s
                       AND province_code = ANY(%s) ORDER BY file_id""", (kind, list(codes)))
    return [r[0] for r in cur.fetchall()]


def provinces_with_work(cur) -> list[str]:
    cur.execute("""SELECT DISTINCT province_code FROM audit.source_file
                   WHERE status = 'new' AND kind = 'submission' ORDER BY 1""")
    return [r[0] for r in cur.fetchall()]
