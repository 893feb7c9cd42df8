"""What changed since the build the published marts come from, and so what this build recomputes.

The inputs are read as fingerprints (include/sql/marts/_inputs.sql), from the ledger rather than
by hashing the core: per round, the file versions in force for it and its current roster file;
globally, the mart SQL files, the mart suites and the reference data. The last published (or
skipped) build's fingerprints are in audit.mart_build_state, with the oids of the tables it
published. Compared:

* nothing recorded yet, the global fingerprint differs, a published mart table is not the one
  recorded (missing, dropped, restored), or a full build is asked for (`--full`, DGSA_MARTS_FULL=1,
  an SQL override): FULL, every round;
* some rounds' fingerprints differ (a round that appears or disappears counts): PARTIAL, those
  rounds (their successors' progress rows follow: the build adds them);
* nothing differs: SKIP, the published marts stand.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from dgsa.foundation import config
from dgsa.foundation.sqlfiles import SQL_DIR, read_sql

FORMAT = "marts-partial-1"   # bump when the build's own logic changes what a mart holds


@dataclass
class Plan:
    mode: str                           # full | partial | skip
    reason: str
    inputs: str                         # global fingerprint
    rounds: dict[str, str]              # round -> fingerprint of its inputs
    rebuild: list[str] = field(default_factory=list)    # rounds recomputed (partial)
    baseline: int | None = None         # state_id compared with


def full_requested(full: bool | None = None) -> bool:
    if full is not None:
        return full
    return os.environ.get("DGSA_MARTS_FULL", "").strip().lower() in ("1", "true", "yes", "on")


def current(cur, sql_override: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """(global fingerprint, {round: fingerprint}) of the warehouse as this transaction sees it."""
    cur.execute(read_sql("marts/_inputs.sql"))
    rows = dict(cur.fetchall())
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(rows.pop("*ref", "").encode())
    for path in sorted((SQL_DIR / "marts").glob("*.sql")) + sorted((config.EXPECTATIONS_DIR / "marts").glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for mart, text in sorted((sql_override or {}).items()):
        digest.update(f"override {mart}\0{text}\0".encode())
    return digest.hexdigest(), rows


def published_tables(cur, marts: tuple[str, ...]) -> dict[str, int | None]:
    """mart -> oid of marts.<mart> (None when it does not exist)."""
    cur.execute("SELECT m, to_regclass('marts.' || m)::oid FROM unnest(%s::text[]) AS m", (list(marts),))
    return {m: (int(oid) if oid is not None else None) for m, oid in cur.fetchall()}


def baseline(cur) -> tuple | None:
    """The latest build whose marts are the published ones: (state_id, inputs, rounds, mart_tables)."""
    cur.execute("""SELECT state_id, inputs, rounds, mart_tables FROM audit.mart_build_state
                   WHERE outcome IN ('published', 'skipped') ORDER BY state_id DESC LIMIT 1""")
    return cur.fetchone()


def decide(cur, marts: tuple[str, ...], *, full: bool = False, sql_override: dict | None = None) -> Plan:
    inputs, rounds = current(cur, sql_override)
    plan = Plan("full", "", inputs, rounds)
    base = baseline(cur)
    tables = published_tables(cur, marts)
    if full or sql_override:
        plan.reason = "full build asked for" if full else "mart SQL overridden"
    elif base is None:
        plan.reason = "first build (no earlier build recorded)"
    elif any(oid is None for oid in tables.values()):
        plan.reason = "mart table missing: " + ", ".join(m for m, oid in tables.items() if oid is None)
    elif base[1] != inputs:
        plan.reason = "mart SQL, mart suites or reference data changed"
    elif {m: int(o) for m, o in (base[3] or {}).items()} != tables:
        plan.reason = "published marts are not the ones the last build recorded"
    else:
        plan.baseline = base[0]
        before: dict = base[2] or {}
        changed = sorted(r for r in set(before) | set(rounds) if before.get(r) != rounds.get(r))
        if not changed:
            plan.mode, plan.reason = "skip", "nothing changed since build state %d" % base[0]
        else:
            plan.mode, plan.rebuild = "partial", changed
            plan.reason = "inputs of round(s) %s changed since build state %d" % (", ".join(changed), base[0])
    return plan


def record(cur, plan: Plan, *, run_name: str, outcome: str, tables: dict | None, rebuilt: list[str],
           progress: list[str], seconds: float, message: str | None = None) -> None:
    cur.execute("""INSERT INTO audit.mart_build_state (run_name, outcome, mode, reason, inputs, rounds,
                     rebuilt_rounds, progress_rounds, mart_tables, seconds, message)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (run_name, outcome, "none" if plan.mode == "skip" else plan.mode, plan.reason, plan.inputs,
                 json.dumps(plan.rounds, sort_keys=True), rebuilt, progress,
                 json.dumps(tables, sort_keys=True) if tables is not None else None, round(seconds, 3), message))
