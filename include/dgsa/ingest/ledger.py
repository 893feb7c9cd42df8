"""The file ledger (audit.source_file): one row per file version ever seen, never deleted.

register() looks at what the drive holds now and records it:
- unchanged (same path, size and mtime as a known version): nothing to do, no hashing;
- still being written (young and changing between two looks): one `pending` row per path;
- the same bytes as the path's LATEST version (only touched, or put back): the same version;
- a new version (new bytes, or the bytes of an OLDER version coming back): hashed, a new row;
  same bytes as an earlier received file elsewhere -> `duplicate`; otherwise `new` (to be read
  by a load task). Older versions of the path that hold no rows in force (new, rejected,
  duplicate, ignored) -> `superseded` at once; loaded ones are replaced only for the rounds the
  new version holds, once it is written (dgsa.ingest.versions.settle);
- not a submission, or in a folder without a province code: `ignored` / `rejected` at once;
- a path no longer on the drive: stays as it is (in force if it was), `missing_since` this scan.

Failures that may pass are tried again: FILE_NO_ACCESS / FOLDER_NO_ACCESS at every scan, and
the TRANSIENT codes by the next load of the province (WAITING: the latest version of a path
still on the drive), until the file loads or is rejected for a reason in its content.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

from dgsa.foundation import config
from dgsa.ingest import drive, versions
from dgsa.ingest.drive import Entry

log = logging.getLogger(__name__)
LOCK_KEY = 0x64677361  # "dgsa": one registering scan at a time per warehouse
READ_STATUSES = ("loaded", "partially_loaded", "new")
NO_ACCESS = ("FILE_NO_ACCESS", "FOLDER_NO_ACCESS")   # the OS refused: looked at again every scan
# may pass: the version is read again by the next load of its province (while it is the path's
# latest version and on the drive); FILE_VANISHED / FILE_CHANGED are the province's doing, the
# others our failure to process it (a load task where every file ends so fails: steps.load_kind)
TRANSIENT = ("FILE_VANISHED", "FILE_CHANGED", "FILE_READ_ERROR", "PROCESSING_ERROR")
FAILED_TO_PROCESS = ("FILE_READ_ERROR", "PROCESSING_ERROR")
# the versions a load task reads: new ones, and transient failures that are still the latest
# version of a path on the drive (no newer version, not missing, not being written)
WAITING_SQL = """
    SELECT file_id, province_code FROM audit.source_file f
    WHERE (f.status = 'new' OR (f.status = 'rejected' AND f.reason_code = ANY(%(transient)s)
           AND f.sha256 IS NOT NULL AND f.missing_since IS NULL
           AND NOT EXISTS (SELECT 1 FROM audit.source_file n WHERE n.rel_path = f.rel_path
                           AND n.file_id > f.file_id AND (n.sha256 IS NOT NULL OR n.status = 'pending'))))
      AND f.kind = %(kind)s AND (%(all)s OR f.province_code = ANY(%(codes)s))
    ORDER BY file_id"""


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
    arrived = sorted(((e, min(e.mtime, now)) for e in settled), key=lambda p: (p[1], p[0].rel_path))
    for e, received in arrived:
        outcome = _record_version(cur, e, received, now, load_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    unreadable = [e.rel_path for e in entries if e.reason_code == "FOLDER_NO_ACCESS"]
    _folders_readable_again(cur, unreadable)
    counts.update(versions.mark_missing(cur, [e.rel_path for e in entries], unreadable, now))
    cur.execute("UPDATE audit.load_run SET files_seen = %s, files_new = %s WHERE load_id = %s",
                (len(entries), counts.get("new", 0), load_id))
    return counts


def _folders_readable_again(cur, unreadable: list[str]) -> None:
    """A folder recorded as FOLDER_NO_ACCESS that this scan could enter: its files are now
    recorded one by one, so its row is closed (superseded, ACCESS_RESTORED)."""
    cur.execute("""UPDATE audit.source_file SET status = 'superseded', reason_code = 'ACCESS_RESTORED', message = %s
                   WHERE status = 'rejected' AND reason_code = 'FOLDER_NO_ACCESS'
                     AND rel_path <> ALL(%s::text[])""", (config.message("ACCESS_RESTORED")[1], unreadable))


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
        # never open what a link out of the drive points at, nor a folder
        digest = None if e.reason_code in ("FOLDER_NO_ACCESS", "LINK_OUTSIDE_DRIVE") else drive.sha256(e.path)
    except OSError as exc:      # no permission: one unreadable file must not cost the scan
        log.warning("cannot read %s: %s", e.rel_path, exc.strerror)
        digest = None
        if e.status is None:
            e.status, e.reason_code = "rejected", "FILE_NO_ACCESS"
    if e.reason_code in NO_ACCESS:
        return _record_no_access(cur, e, received, now, load_id)
    cur.execute("""SELECT file_id, sha256 FROM audit.source_file WHERE rel_path = %s AND sha256 IS NOT NULL
                   ORDER BY file_id DESC LIMIT 1""", (e.rel_path,))
    latest = cur.fetchone()
    if latest and latest[1] == digest:
        # the bytes of the path's latest version: only the timestamp moved (touched, or put back as
        # it was): the same version (a transient failure of it is read again: WAITING)
        cur.execute("UPDATE audit.source_file SET modified_at = %s, size_bytes = %s, last_seen_at = %s "
                    "WHERE file_id = %s", (e.mtime, e.size, now, latest[0]))
        return "touched"
    # otherwise a new version, also when the bytes are those of an OLDER version of the path:
    # a version that comes back is in force again from this scan, as if newly received
    status, reason, duplicate_of = e.status or "new", e.reason_code, None
    if status == "new" and e.size > 0:
        # a roster copied unchanged into next round's folder is that round's list, not a duplicate:
        # roster copies are duplicates only within their own round
        cur.execute("""SELECT file_id FROM audit.source_file
                       WHERE sha256 = %s AND rel_path <> %s AND status IN ('loaded', 'partially_loaded', 'new')
                         AND (%s <> 'roster' OR round_code IS NOT DISTINCT FROM %s)
                       ORDER BY received_at, rel_path LIMIT 1""", (digest, e.rel_path, e.kind, e.round_code))
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
    # older versions holding no rows in force are replaced now; loaded ones (and withdrawn ones,
    # already out) are settled round by round once this version is written (versions.settle)
    cur.execute("""UPDATE audit.source_file SET status = 'superseded', reason_code = 'SUPERSEDED', message = %s,
                     superseded_by = %s
                   WHERE rel_path = %s AND file_id <> %s
                     AND status NOT IN ('superseded', 'pending', 'loaded', 'partially_loaded', 'withdrawn')""",
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
    return [r[0] for r in _waiting(cur, kind, codes)]


def provinces_with_work(cur) -> list[str]:
    return sorted({r[1] for r in _waiting(cur, "submission", None)})


def _waiting(cur, kind: str, codes: list[str] | None) -> list[tuple]:
    cur.execute(WAITING_SQL, {"transient": list(TRANSIENT), "kind": kind, "all": codes is None,
                              "codes": list(codes or [])})
    return cur.fetchall()
