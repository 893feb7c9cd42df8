"""Which versions of a path are in force, round by round, and what the ledger says about it.

A newer version of a path replaces an older one ONLY for the rounds the newer version holds
rows of (audit.file_round; the marts read audit.version_in_force). After a version is written:
- an older loaded version whose every round is now held by later versions -> `superseded`
  (reason SUPERSEDED, superseded_by: the version that completed the replacement);
- one replaced for some rounds only stays loaded / partially_loaded, and says so:
  replaced_rounds {"2564": file_id} and a message naming the rounds still in force;
- a new version rejected whole holds no rounds and replaces nothing: its message says that the
  earlier version stays in force.

Files removed from the drive stay in force: mark_missing() records the scan that first missed
them (missing_since), and clears it when they come back.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from dgsa.foundation import config

IN_FORCE = ("loaded", "partially_loaded")


def settle(cur, file_id: int) -> None:
    """After version file_id was written (in its transaction): the older versions of its path."""
    cur.execute("SELECT rel_path, status FROM audit.source_file WHERE file_id = %s", (file_id,))
    rel_path, status = cur.fetchone()
    if status not in IN_FORCE:
        _replaces_nothing(cur, file_id, rel_path)
        return
    # every older in-force version of the path, its rounds, and for each round the first later
    # version of the path that holds rows of it
    cur.execute("""
        SELECT f.file_id, f.message, f.reason_code, fr.round_code,
               (SELECT min(g.file_id) FROM audit.source_file g
                JOIN audit.file_round gr ON gr.file_id = g.file_id AND gr.round_code = fr.round_code
                WHERE g.rel_path = f.rel_path AND g.file_id > f.file_id)
        FROM audit.source_file f JOIN audit.file_round fr USING (file_id)
        WHERE f.rel_path = %s AND f.file_id < %s AND f.status IN ('loaded', 'partially_loaded')
        ORDER BY f.file_id, fr.round_code""", (rel_path, file_id))
    older: dict[int, dict] = {}
    for fid, message, reason, round_code, by in cur.fetchall():
        entry = older.setdefault(fid, {"reason": reason, "message": message, "rounds": {}})
        entry["rounds"][round_code] = by
    for fid, entry in older.items():
        rounds = entry["rounds"]
        replaced = {r: by for r, by in rounds.items() if by is not None}
        if not replaced:
            continue
        if len(replaced) == len(rounds):
            cur.execute("""UPDATE audit.source_file SET status = 'superseded', reason_code = 'SUPERSEDED',
                             message = %s, superseded_by = %s, replaced_rounds = %s WHERE file_id = %s""",
                        (config.message("SUPERSEDED")[1], max(replaced.values()), json.dumps(replaced), fid))
        else:
            kept = sorted(set(rounds) - set(replaced))
            note = config.message("REPLACED_FOR_ROUNDS", detail=_rounds_text(replaced, kept))[1]
            base = _own_message(entry["reason"], entry["message"])
            cur.execute("UPDATE audit.source_file SET replaced_rounds = %s, message = %s WHERE file_id = %s",
                        (json.dumps(replaced), f"{base} {note}".strip(), fid))


def _rounds_text(replaced: dict, kept: list) -> str:
    by = ", ".join(f"{r}: file {f}" for r, f in sorted(replaced.items()))
    return f"{', '.join(sorted(replaced))} ({by}); in force for {', '.join(kept)}"


def _own_message(reason: str | None, message: str | None) -> str:
    """The version's message without an earlier REPLACED_FOR_ROUNDS note (rewritten each time)."""
    if not message:
        return ""
    template = config.reason_codes()["REPLACED_FOR_ROUNDS"]["en"]
    note = re.escape(template).replace(re.escape("{detail}"), ".*?")
    return re.sub(note + "$", "", message).strip()


def _replaces_nothing(cur, file_id: int, rel_path: str) -> None:
    """A new version rejected whole: the earlier version in force (if any) stays in force."""
    cur.execute("""SELECT max(file_id) FROM audit.source_file
                   WHERE rel_path = %s AND file_id < %s AND status IN ('loaded', 'partially_loaded')""",
                (rel_path, file_id))
    earlier = cur.fetchone()[0]
    if earlier is not None:
        note = config.message("NOTHING_REPLACED", detail=str(earlier))[1]
        cur.execute("UPDATE audit.source_file SET message = concat_ws(' ', message, %s::text) WHERE file_id = %s",
                    (note, file_id))


def mark_missing(cur, seen: list[str], unreadable_folders: list[str], now: dt.datetime) -> dict:
    """missing_since for paths the scan did not see (except under a folder it could not read),
    cleared for paths it saw again. A missing version stays in force: only a withdrawal
    (dgsa.ingest.withdraw) takes it out."""
    # IN / NOT IN (SELECT unnest(...)): hashed, not a scan of the array per ledger row
    cur.execute("""UPDATE audit.source_file SET missing_since = NULL
                   WHERE missing_since IS NOT NULL AND rel_path IN (SELECT unnest(%s::text[]))""", (seen,))
    back = cur.rowcount
    cur.execute("""UPDATE audit.source_file SET missing_since = %s
                   WHERE missing_since IS NULL AND status <> 'pending'
                     AND rel_path NOT IN (SELECT unnest(%s::text[])) AND right(rel_path, 1) <> '/'
                     AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[]) AS u(folder)
                                     WHERE starts_with(rel_path, u.folder))""",
                (now, seen, unreadable_folders))
    return {"missing": cur.rowcount, "back": back}
