"""Bring a warehouse up to date: versioned migrations (Alembic), then the reference data.

    python -m dgsa.foundation.migrate            # uses DGSA_WAREHOUSE_URL
Idempotent: run it as often as you like (the ingest DAG runs it first on every run).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from alembic import command
from alembic.config import Config

from dgsa.foundation import config, db
from dgsa.foundation.text import norm_header

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def upgrade(url: str | None = None) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url or config.warehouse_url()
    command.upgrade(cfg, "head")


def seed_reference(url: str | None = None) -> dict[str, int]:
    """Load include/config into the ref tables (upsert; lists that have no dependants are replaced)."""
    counts = {}
    with db.transaction(url) as conn, conn.cursor() as cur:
        provs = config.provinces()
        cur.executemany(
            """INSERT INTO ref.province VALUES (%(province_code)s, %(iso_3166_2)s, %(name_en)s, %(name_th)s, %(region_en)s)
               ON CONFLICT (province_code) DO UPDATE SET iso_3166_2 = EXCLUDED.iso_3166_2,
                 name_en = EXCLUDED.name_en, name_th = EXCLUDED.name_th, region_en = EXCLUDED.region_en""",
            provs)
        counts["province"] = len(provs)
        groups = config.target_groups()
        cur.executemany(
            """INSERT INTO ref.target_group VALUES (%(code)s, %(group_no)s, %(name_th)s, %(name_en)s)
               ON CONFLICT (group_code) DO UPDATE SET group_no = EXCLUDED.group_no,
                 name_th = EXCLUDED.name_th, name_en = EXCLUDED.name_en""", groups)
        counts["target_group"] = len(groups)
        cur.execute("DELETE FROM ref.target")
        for version, fw in config.frameworks().items():
            cur.execute("""INSERT INTO ref.framework VALUES (%s, %s)
                           ON CONFLICT (framework_version) DO UPDATE SET name = EXCLUDED.name""",
                        (version, fw["name"]))
            cur.executemany(
                """INSERT INTO ref.level VALUES (%s, %s, %s, %s) ON CONFLICT (framework_version, ordinal)
                   DO UPDATE SET name_en = EXCLUDED.name_en, name_th = EXCLUDED.name_th""",
                [(version, lv["ordinal"], lv["name_en"], lv["name_th"]) for lv in fw["levels"]])
            cur.executemany(
                """INSERT INTO ref.skill VALUES (%s, %s, %s, %s, %s) ON CONFLICT (framework_version, skill_code)
                   DO UPDATE SET skill_no = EXCLUDED.skill_no, name_en = EXCLUDED.name_en, name_th = EXCLUDED.name_th""",
                [(version, s["code"], s["skill_no"], s["name_en"], s["name_th"]) for s in fw["skills"]])
            cur.executemany("INSERT INTO ref.target VALUES (%s, %s, %s)",
                            [(version, g, s) for g, skills in fw["targets"].items() for s in skills])
        rounds = config.rounds()
        cur.executemany(
            """INSERT INTO ref.round VALUES (%(round)s, %(opens_on)s, %(deadline_at)s, %(window_from)s,
                 %(window_to)s, %(target_level)s, %(goal_year)s, %(framework_version)s)
               ON CONFLICT (round_code) DO UPDATE SET opens_on = EXCLUDED.opens_on,
                 deadline_at = EXCLUDED.deadline_at, window_from = EXCLUDED.window_from,
                 window_to = EXCLUDED.window_to, target_level = EXCLUDED.target_level,
                 goal_year = EXCLUDED.goal_year, framework_version = EXCLUDED.framework_version""", rounds)
        counts["round"] = len(rounds)
        cur.execute("DELETE FROM ref.header_alias")
        aliases = {(field, norm_header(str(a))): str(a)
                   for field, names in config.header_aliases()["fields"].items() for a in names}
        cur.executemany("INSERT INTO ref.header_alias VALUES (%s, %s, %s)",
                        [(f, a, n) for (f, n), a in aliases.items()])
        cur.execute("DELETE FROM ref.reason_code")
        codes = config.reason_codes()
        cur.executemany("INSERT INTO ref.reason_code VALUES (%s, %s, %s, %s)",
                        [(c, m["scope"], m["th"], m["en"]) for c, m in codes.items()])
        counts["reason_code"] = len(codes)
    return counts


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    upgrade()
    print(json.dumps({"migrated": "head", "reference": seed_reference()}))


if __name__ == "__main__":
    main()
