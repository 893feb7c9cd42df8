"""Settings (environment) and configuration data (include/config/*.yaml, *.csv).

Every setting is an environment variable so that the same code runs under `make`, under
Airflow and in the compose deployment; the README lists them all.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

BANGKOK = ZoneInfo("Asia/Bangkok")
PROJECT_DIR = Path(__file__).resolve().parents[3]
CONFIG_DIR = Path(os.environ.get("DGSA_CONFIG_DIR", Path(__file__).resolve().parents[2] / "config"))
EXPECTATIONS_DIR = Path(os.environ.get("DGSA_EXPECTATIONS_DIR", PROJECT_DIR / "expectations"))


class ConfigError(RuntimeError):
    """A required setting is missing or wrong; the message says which and how to set it."""


def warehouse_url() -> str:
    """SQLAlchemy URL of the warehouse: DGSA_WAREHOUSE_URL, else the Airflow connection
    `dgsa_warehouse` (AIRFLOW_CONN_DGSA_WAREHOUSE or the metadata DB)."""
    url = os.environ.get("DGSA_WAREHOUSE_URL")
    if url:
        return url
    try:  # only inside Airflow
        from airflow.sdk import BaseHook  # noqa: PLC0415

        conn = BaseHook.get_connection("dgsa_warehouse")
        return conn.get_uri().replace("postgres://", "postgresql+psycopg2://", 1)
    except Exception as exc:  # noqa: BLE001 - any failure means: not configured
        raise ConfigError(
            "No warehouse configured: set DGSA_WAREHOUSE_URL (a SQLAlchemy URL such as "
            "postgresql+psycopg2://user@host:5432/dgsa) or the Airflow connection dgsa_warehouse"
        ) from exc


def drive_path() -> Path:
    value = os.environ.get("DGSA_DRIVE")
    if not value:
        raise ConfigError("No drive configured: set DGSA_DRIVE to the shared drive's root folder")
    path = Path(value)
    if not path.is_dir():
        raise ConfigError(f"DGSA_DRIVE={value} is not a folder (is the drive mounted?)")
    return path


def person_key_secret() -> bytes:
    value = os.environ.get("DGSA_PERSON_KEY_SECRET", "")
    if len(value) < 16:
        raise ConfigError("DGSA_PERSON_KEY_SECRET must be set (at least 16 characters): it keys person_key")
    return value.encode()


def float_setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def settle_seconds() -> float:
    """How long two looks at a young file are apart (DGSA_SETTLE_SECONDS)."""
    return float_setting("DGSA_SETTLE_SECONDS", 2.0)


def settled_age_seconds() -> float:
    """A file last modified longer ago than this is taken as complete (DGSA_SETTLED_AGE_SECONDS)."""
    return float_setting("DGSA_SETTLED_AGE_SECONDS", 300.0)


def max_bad_row_share() -> float:
    """A file with a larger share of rejected data rows is rejected whole (DGSA_MAX_BAD_ROW_SHARE)."""
    return float_setting("DGSA_MAX_BAD_ROW_SHARE", 0.5)


# ---------------------------------------------------------------- configuration data
def _yaml(name: str) -> dict:
    with open(CONFIG_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@functools.cache
def provinces() -> list[dict]:
    with open(CONFIG_DIR / "provinces.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def target_groups() -> list[dict]:
    return _yaml("target_groups.yaml")["groups"]


@functools.cache
def frameworks() -> dict[str, dict]:
    out = {}
    for path in sorted((CONFIG_DIR / "frameworks").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["framework_version"]] = data
    return out


@functools.cache
def rounds() -> list[dict]:
    out = []
    for r in _yaml("rounds.yaml")["rounds"]:
        r = dict(r, round=str(r["round"]))
        r["deadline_at"] = dt.datetime.fromisoformat(str(r["deadline_at"])).replace(tzinfo=BANGKOK)
        for key in ("opens_on", "window_from", "window_to"):
            r[key] = r[key] if isinstance(r[key], dt.date) else dt.date.fromisoformat(str(r[key]))
        out.append(r)
    return sorted(out, key=lambda r: r["window_from"])


@functools.cache
def header_aliases() -> dict:
    return _yaml("header_aliases.yaml")


@functools.cache
def reason_codes() -> dict[str, dict]:
    """Every reason code with its Thai and English message: the codes the data contract decides
    come from the meta of expectations/*.json (row suites: scope 'row', the file gate: 'file'),
    the ledger's own file codes from include/config/reason_codes.yaml."""
    out = {code: dict(msg, scope=scope) for scope, codes in _yaml("reason_codes.yaml").items()
           for code, msg in codes.items()}
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        scope = "file" if path.stem == "file_gate" else "row"
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            m = e["meta"]
            out.setdefault(m["reason_code"], {"th": m["message_th"], "en": m["message_en"], "scope": scope})
    return out


def message(code: str, **fields) -> tuple[str, str]:
    """(Thai, English) message for a reason code, with {detail}/{column} filled in."""
    entry = reason_codes()[code]
    fields.setdefault("detail", "")
    fields.setdefault("column", "")
    return entry["th"].format(**fields), entry["en"].format(**fields)


def province_label(code) -> str:
    """`50 เชียงใหม่`: how a province's mapped task is labelled (a Jinja filter of dgsa_ingest);
    a task given several provinces (DGSA_LOAD_TASKS) reads `10 กรุงเทพมหานคร … 96 นราธิวาส (39 จังหวัด)`."""
    if not code or not isinstance(code, str):
        return ""
    names = {p["province_code"]: p["name_th"] for p in provinces()}
    codes = code.split(",")
    one = [f"{c} {names[c]}" if c in names else c for c in (codes[0], codes[-1])]
    return one[0] if len(codes) == 1 else f"{one[0]} … {one[1]} ({len(codes)} จังหวัด)"


def clear_caches() -> None:
    """Forget the configuration read so far (after CONFIG_DIR changed: tests, tools)."""
    for fn in (provinces, target_groups, frameworks, rounds, header_aliases, reason_codes):
        fn.cache_clear()
