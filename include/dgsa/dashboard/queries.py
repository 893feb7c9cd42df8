"""What the DG-SA page shows, read from the marts (never recomputed): each function takes the
database URL (None: the analyst URL, see source.py) and returns JSON-ready dicts."""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from dgsa.foundation import config
from dgsa.dashboard import source
from dgsa.foundation.sqlfiles import read_sql

STATUSES = ("COMPLIANT", "LATE", "UNSIGNED", "GROUP_MISMATCH", "TARGET_MISMATCH", "MISSING", "NOT_ON_LIST")
COUNTS = ("on_list", "submitted", "compliant", "late", "unsigned", "group_mismatch", "target_mismatch", "missing",
          "not_on_list", "people_improved", "people_fell_back")


class NotFound(LookupError):
    """No such round or province in the marts."""


@functools.cache
def _sql(name: str) -> str:
    return read_sql(f"dashboard/{name}.sql")


def _plain(value):
    if isinstance(value, decimal.Decimal):    # sums of counts come back as numeric
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _rows(name: str, params: dict | None = None, url: str | None = None) -> list[dict]:
    with source.cursor(url) as cur:
        cur.execute(_sql(name), params or {})
        names = [d.name for d in cur.description]
        return [{k: _plain(v) for k, v in zip(names, row)} for row in cur.fetchall()]


@functools.cache
def tiles() -> dict[str, tuple[int, int]]:
    """province_code -> (col, row) of the tile-grid map (include/config/province_tiles.csv)."""
    with open(config.CONFIG_DIR / "province_tiles.csv", encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return {r["province_code"]: (int(r["col"]), int(r["row"])) for r in csv.DictReader(lines)}


# Answers are kept per mart build: the marts only change when a build is published (atomically),
# so (last build id, its time) says whether a kept answer is still the marts' answer.
_kept: dict[tuple, object] = {}
_kept_lock = threading.Lock()
_workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dgsa_page")


def build_stamp(url: str | None = None) -> tuple:
    with source.cursor(url) as cur:
        cur.execute("SELECT max(build_id), max(built_at) FROM audit.mart_build WHERE published")
        return tuple(cur.fetchone())


def _kept_or(key: tuple, stamp: tuple, compute):
    full = (*key, stamp)
    with _kept_lock:
        if full in _kept:
            return _kept[full]
    value = compute()
    with _kept_lock:
        if len(_kept) > 256:
            _kept.clear()
        _kept[full] = value
    return value


def marts_ready(url: str | None = None) -> bool:
    with source.cursor(url) as cur:
        cur.execute("SELECT to_regclass('marts.compliance_by_province') IS NOT NULL")
        return bool(cur.fetchone()[0])


def rounds(url: str | None = None) -> list[dict]:
    return _rows("rounds", url=url)


def pick_round(round_code: str | None, url: str | None = None) -> tuple[str, list[dict]]:
    """The round asked for (it must have marts), else the newest round with people on the list."""
    available = rounds(url)
    if not available:
        raise NotFound("no marts yet: run dgsa_ingest and dgsa_marts")
    if round_code is not None:
        if round_code not in {r["round"] for r in available}:
            raise NotFound(f"no round {round_code} in the marts")
        return round_code, available
    with_people = [r for r in available if (r["on_list"] or 0) > 0]
    return (with_people or available)[0]["round"], available


def last_build(url: str | None = None) -> dict | None:
    rows = _rows("last_build", url=url)
    return rows[0] if rows and rows[0]["built_at"] else None


def provinces(round_code: str, url: str | None = None) -> list[dict]:
    grid = tiles()
    out = _rows("provinces", {"round": round_code}, url)
    for row in out:
        row["col"], row["row"] = grid.get(row["province_code"], (None, None))
    return out


def province(round_code: str, code: str, url: str | None = None) -> dict:
    for row in provinces(round_code, url):
        if row["province_code"] == code:
            return row
    raise NotFound(f"no province {code} in round {round_code}")


def totals(rows: list[dict]) -> dict:
    out = {k: sum(r[k] or 0 for r in rows) for k in COUNTS}
    out["compliance_rate"] = round(out["compliant"] / out["on_list"], 4) if out["on_list"] else None
    return out


def training(round_code: str, province_code: str | None = None, url: str | None = None) -> dict:
    params = {"round": round_code, "province": province_code}
    return {"by_skill": _rows("training_by_skill", params, url), "by_group": _rows("training_by_group", params, url)}


def progress(province_code: str | None = None, url: str | None = None) -> list[dict]:
    """Per round: share meeting every required skill, the on-track line (expected_share) and
    verdict, people improved / fallen back, compliance rate (progress.sql)."""
    return _rows("progress", {"province": province_code}, url)


@functools.cache
def change_labels() -> dict:
    """marts.person_progress.change -> {th, en} (include/config/labels.yaml)."""
    return config._yaml("labels.yaml")["progress_change"]


def person_history(person_keys: list[str], url: str | None = None) -> dict[str, list[dict]]:
    """person_key -> their rounds, oldest first: status, province, change and skills met."""
    out: dict[str, list[dict]] = {k: [] for k in person_keys}
    if person_keys:
        for row in _rows("person_history", {"keys": list(person_keys)}, url):
            out[row.pop("person_key")].append(row)
    return out


def missing_files(province_code: str | None = None, url: str | None = None) -> list[dict]:
    """File versions still in force whose file is no longer on the drive (missing_files.sql):
    province, file_id, rel_path, rows_loaded, received_at, missing_since, rounds_in_force."""
    return _rows("missing_files", {"province": province_code}, url)


def followup(round_code: str, province_code: str, url: str | None = None, limit: int | None = None) -> list[dict]:
    return followup_page(round_code, province_code, url, limit)[0]


def followup_page(round_code: str, province_code: str, url: str | None = None,
                  limit: int | None = None) -> tuple[list[dict], int]:
    """(the first `limit` people to follow up, or all when None; how many there are in all)."""
    rows = _rows("followup", {"round": round_code, "province": province_code, "limit": limit}, url)
    total = rows[0]["total_rows"] if rows else 0
    for row in rows:
        del row["total_rows"]
    return rows, total


def followup_with_history(round_code: str, province_code: str, url: str | None = None,
                          limit: int | None = None) -> tuple[list[dict], int]:
    """followup_page, each row with `history`: the person's rounds (person_history)."""
    rows, total = followup_page(round_code, province_code, url, limit)
    history = person_history([r["person_key"] for r in rows], url)
    for row in rows:
        row["history"] = history[row["person_key"]]
    return rows, total


def overview(round_code: str | None = None, url: str | None = None) -> dict:
    """Everything the page draws first, in one answer: rounds, the last build, every province
    (with tile positions), national totals, training needs and progress per round. The queries
    run side by side; the answer is kept until the next mart build."""
    url = url or source.analyst_url()
    return _kept_or(("overview", url, round_code), build_stamp(url), lambda: _overview(round_code, url))


def _overview(round_code: str | None, url: str) -> dict:
    chosen, available = pick_round(round_code, url)
    jobs = {"last_build": (last_build, url), "provinces": (provinces, chosen, url),
            "training": (training, chosen, None, url), "progress": (progress, None, url)}
    futures = {k: _workers.submit(fn, *args) for k, (fn, *args) in jobs.items()}
    out = {k: f.result() for k, f in futures.items()}
    return {"round": chosen, "rounds": available, **out, "totals": totals(out["provinces"]),
            "statuses": list(STATUSES), "changes": change_labels()}


def province_detail(round_code: str | None, code: str, url: str | None = None) -> dict:
    """One province: its counts, its training needs and its progress over rounds (kept until the
    next build), and its files removed from the drive but still in force (read every time: the
    ledger marks them at the scan, before any build)."""
    url = url or source.analyst_url()

    def compute():
        chosen, _ = pick_round(round_code, url)
        prov = _workers.submit(province, chosen, code, url)
        train = _workers.submit(training, chosen, code, url)
        prog = _workers.submit(progress, code, url)
        return {"round": chosen, "province": prov.result(), "training": train.result(), "progress": prog.result()}
    missing = _workers.submit(missing_files, code, url)
    kept = _kept_or(("province", url, round_code, code), build_stamp(url), compute)
    return {**kept, "missing_files": missing.result()}

