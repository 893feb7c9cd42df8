"""Bring a warehouse up to date: versioned migrations (Alembic), then the reference data.

    python -m dgsa.foundation.migrate            # uses DGSA_WAREHOUSE_URL
    python -m dgsa.foundation.migrate --pipeline-url   # that URL as the pipeline login dgsa_pipeline
Run as a role that may create roles (a fresh server's superuser: compose init, `make migrate`), it
also bootstraps the pipeline login dgsa_pipeline (see bootstrap_pipeline_login).
Idempotent: run it as often as you like (the ingest DAG runs it first on every run).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from dgsa.foundation import config, db
from dgsa.foundation import rounds as rounds_check
from dgsa.foundation.sqlfiles import read_sql
from dgsa.foundation.text import norm_header

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def upgrade(url: str | None = None) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url or config.warehouse_url()
    command.upgrade(cfg, "head")


def seed_reference(url: str | None = None) -> dict[str, int]:
    """Load include/config into the ref tables (upsert; lists that have no dependants are replaced).
    A wrong round or framework configuration stops here, before anything is written
    (dgsa.foundation.rounds.validate: one error naming the round and the field)."""
    rounds_check.validate()
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
        cur.execute("DELETE FROM ref.skill_map")
        frameworks = config.frameworks()
        for version, fw in frameworks.items():
            cur.execute("""INSERT INTO ref.framework (framework_version, name, maps_from) VALUES (%s, %s, %s)
                           ON CONFLICT (framework_version) DO UPDATE SET name = EXCLUDED.name,
                             maps_from = EXCLUDED.maps_from""",
                        (version, fw["name"], (fw.get("maps_from") or {}).get("framework_version")))
            cur.executemany(
                """INSERT INTO ref.level VALUES (%s, %s, %s, %s) ON CONFLICT (framework_version, ordinal)
                   DO UPDATE SET name_en = EXCLUDED.name_en, name_th = EXCLUDED.name_th""",
                [(version, lv["ordinal"], lv["name_en"], lv["name_th"]) for lv in fw["levels"]])
            cur.executemany(
                """INSERT INTO ref.skill (framework_version, skill_code, skill_no, name_en, name_th, area)
                   VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (framework_version, skill_code)
                   DO UPDATE SET skill_no = EXCLUDED.skill_no, name_en = EXCLUDED.name_en, name_th = EXCLUDED.name_th,
                     area = EXCLUDED.area""",
                [(version, s["code"], s["skill_no"], s["name_en"], s["name_th"], s.get("area"))
                 for s in fw["skills"]])
            cur.executemany("INSERT INTO ref.target VALUES (%s, %s, %s)",
                            [(version, g, s) for g, skills in fw["targets"].items() for s in skills])
        cur.executemany("INSERT INTO ref.skill_map VALUES (%s, %s, %s, %s)",   # every version's skills exist now
                        [(version, code, m["framework_version"], old) for version, fw in frameworks.items()
                         if (m := fw.get("maps_from")) for code, old in m["skills"].items()])
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


PIPELINE_LOGIN = "dgsa_pipeline"   # the pipeline's login: member of dgsa_loader, nothing else


def pipeline_url(url: str | None = None) -> str:
    """The warehouse URL with the user switched to dgsa_pipeline (password DGSA_PIPELINE_PASSWORD, if any)."""
    from sqlalchemy.engine import make_url   # noqa: PLC0415

    u = make_url(url or config.warehouse_url()).set(username=PIPELINE_LOGIN,
                                                     password=os.environ.get("DGSA_PIPELINE_PASSWORD") or None)
    return u.render_as_string(hide_password=False)


def bootstrap_pipeline_login(url: str | None = None) -> str | None:
    """As a role that may create roles (compose init, `make migrate`): create or update the LOGIN
    dgsa_pipeline in dgsa_loader, with no other right (no superuser, CREATEDB, CREATEROLE, replication),
    whose sessions run as dgsa_loader; then hand dgsa_loader what the migrations created. Not a migration:
    the password is a secret (DGSA_PIPELINE_PASSWORD, never in SQL files or Alembic's history) and the
    pipeline, which runs the migrations in `prepare`, must not be able to create roles.
    Returns the login's name, or None when the caller may not create roles (then nothing is changed)."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PIPELINE_LOGIN,))
        if not cur.fetchone():
            cur.execute(f"CREATE ROLE {PIPELINE_LOGIN} LOGIN")
        cur.execute(f"ALTER ROLE {PIPELINE_LOGIN} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 64")
        password = os.environ.get("DGSA_PIPELINE_PASSWORD")
        if password:
            cur.execute(f"ALTER ROLE {PIPELINE_LOGIN} PASSWORD %s", (password,))
        cur.execute(f"GRANT dgsa_loader TO {PIPELINE_LOGIN}")
        cur.execute(f"ALTER ROLE {PIPELINE_LOGIN} SET role = 'dgsa_loader'")
        cur.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(cur)} TO {PIPELINE_LOGIN}")
        cur.execute(read_sql("schema/0011_pipeline_login.sql"))
    return PIPELINE_LOGIN


def _ident(cur) -> str:
    cur.execute("SELECT quote_ident(current_database())")
    return cur.fetchone()[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pipeline-url", action="store_true",
                        help="print the warehouse URL as the pipeline login (dgsa_pipeline) and exit")
    args = parser.parse_args(argv)
    if args.pipeline_url:   # the URL unchanged where the server has no such login (not bootstrapped)
        with db.transaction() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s AND rolcanlogin", (PIPELINE_LOGIN,))
            print(pipeline_url() if cur.fetchone() else config.warehouse_url())
        return
    upgrade()
    reference = seed_reference()
    print(json.dumps({"migrated": "head", "reference": reference, "pipeline_login": bootstrap_pipeline_login()}))


if __name__ == "__main__":
    main()
