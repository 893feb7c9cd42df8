"""A second framework version by configuration only (issue 18.3): include/config/frameworks/tpqi-2565.yaml.

A copy of the configuration (DGSA_CONFIG_DIR) whose round 2565 names tpqi-2565 is run through the
real steps in a subprocess (prepare, ingest, marts), on a drive with a 2564 file in ocsc-2561's
columns, a 2565 file in tpqi-2565's columns, and one 2565 row still on last year's form:

  person  group  2564 (ocsc-2561)              2565                                change
  P1      TEC    DL2 GOV2 TECH2 LEAD2          DLIT2 DGOV2 DLEAD2 DTECH2 CYBER3    UNCHANGED (CYBER is new: not compared)
  P2      TEC    DL1 GOV2 TECH2 LEAD2          DLIT2 DGOV2 DLEAD2 DTECH2 CYBER1    IMPROVED (DL -> DLIT rose)
  P3      TEC    DL2 GOV2 TECH2 LEAD2          DLIT2 DGOV2 DLEAD2 DTECH1 CYBER2    FELL_BACK (TECH -> DTECH fell)
  P4      OTH    DL2 GOV2 (LEAD blank)         DLIT2 DGOV2 DLEAD1                  IMPROVED (LEAD 0 -> DLEAD 1)
  P5      OTH    DL1 GOV1                      old form: DL2 GOV2 LEAD2            IMPROVED (read under ocsc-2561,
                                                                                     judged through the mapping)
TEC requires DL GOV TECH PROC SVC PM under ocsc-2561 and DLIT DGOV DLEAD DTECH CYBER under tpqi-2565;
OTH requires DLIT DGOV DLEAD. skills_met_before counts this round's required skills met in the
previous assessment through the mapping (CYBER, unmapped, is never met before).
"""
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dgsa.foundation import config, db
from dgsa.foundation.pii import person_key

from helpers import ROSTER_HEADER, SUB_HEADER, ids, sub_row, write_roster, write_submission

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK = "tpqi-2565"
P = dict(zip(["P1", "P2", "P3", "P4", "P5"], ids(5, seed=91)))
GROUP = {"P1": 4, "P2": 4, "P3": 4, "P4": 6, "P5": 6}
OCSC = ("DL", "GOV", "TECH", "PROC", "SVC", "STRAT", "PM", "LEAD", "DT")
TPQI_HEADER = SUB_HEADER[:9] + ["Digital Literacy", "Digital Governance", "Digital Leadership", "Digital Technology",
                                "Digital Service", "Data Utilization and Sharing", "Cyber Security", "ลงนามรับรอง"]
TPQI = ("DLIT", "DGOV", "DLEAD", "DTECH", "DSVC", "DATA", "CYBER")
L2564 = {"P1": {"DL": 2, "GOV": 2, "TECH": 2, "PROC": 2, "SVC": 2, "PM": 2, "LEAD": 2},
         "P2": {"DL": 1, "GOV": 2, "TECH": 2, "PROC": 2, "SVC": 2, "PM": 2, "LEAD": 2},
         "P3": {"DL": 2, "GOV": 2, "TECH": 2, "PROC": 2, "SVC": 2, "PM": 2, "LEAD": 2},
         "P4": {"DL": 2, "GOV": 2}, "P5": {"DL": 1, "GOV": 1}}
L2565 = {"P1": {"DLIT": 2, "DGOV": 2, "DLEAD": 2, "DTECH": 2, "CYBER": 3},
         "P2": {"DLIT": 2, "DGOV": 2, "DLEAD": 2, "DTECH": 2, "CYBER": 1},
         "P3": {"DLIT": 2, "DGOV": 2, "DLEAD": 2, "DTECH": 1, "CYBER": 2},
         "P4": {"DLIT": 2, "DGOV": 2, "DLEAD": 1}}
OLD_FORM_2565 = {"P5": {"DL": 2, "GOV": 2, "LEAD": 2}}
# person -> (skills_required, skills_met_now, skills_met_before, skills_compared, change)
EXPECTED = {"P1": (5, 5, 4, 4, "UNCHANGED"), "P2": (5, 4, 3, 4, "IMPROVED"), "P3": (5, 4, 4, 4, "FELL_BACK"),
            "P4": (3, 2, 2, 3, "IMPROVED"), "P5": (3, 3, 0, 3, "IMPROVED")}
# training needs of 2565, in tpqi-2565's codes: (person, skill) -> gap
NOMINEES_2565 = {("P2", "CYBER"): 1, ("P3", "DTECH"): 1, ("P4", "DLEAD"): 1}

RUN = """
import json, sys
from pathlib import Path
from dgsa.ingest import steps
from dgsa.marts import build
totals = steps.run_all(Path(sys.argv[1]), url=sys.argv[2])
print(json.dumps({"built": build.build(sys.argv[2]), "totals": totals["totals"]}, default=str))
"""


def config_copy(dest: Path, framework_of_2565: str = FRAMEWORK) -> Path:
    """A copy of include/config whose round 2565 names the given framework version."""
    shutil.copytree(ROOT / "include" / "config", dest)
    data = yaml.safe_load((dest / "rounds.yaml").read_text(encoding="utf-8"))
    for r in data["rounds"]:
        if str(r["round"]) == "2565":
            r["framework_version"] = framework_of_2565
    (dest / "rounds.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return dest


def _drive(root: Path) -> None:
    for rnd in ("2564", "2565"):   # (the two lists differ in a name: the same bytes would be a duplicate file)
        write_roster(root, [(P[p], p, f"ทดสอบ{rnd}", "50", GROUP[p]) for p in P], round_code=rnd,
                     moment=dt.datetime(int(rnd) - 543, 9, 30, tzinfo=config.BANGKOK))
    folder = "provinces/50-เชียงใหม่"
    write_submission(root, f"{folder}/DG-SA 2564.xlsx",
                     [sub_row(i + 1, P[p], group=str(GROUP[p]), date="20/10/2564",
                              skills=tuple(lv.get(s) for s in OCSC)) for i, (p, lv) in enumerate(L2564.items())],
                     dt.datetime(2021, 10, 25, tzinfo=config.BANGKOK))
    write_submission(root, f"{folder}/DG-SA 2565.xlsx",
                     [sub_row(i + 1, P[p], group=str(GROUP[p]), date="20/10/2565",
                              skills=tuple(lv.get(s) for s in TPQI)) for i, (p, lv) in enumerate(L2565.items())],
                     dt.datetime(2022, 10, 25, tzinfo=config.BANGKOK), header=TPQI_HEADER)
    write_submission(root, f"{folder}/แบบเดิม 2565.xlsx",
                     [sub_row(i + 1, P[p], group=str(GROUP[p]), date="21/10/2565",
                              skills=tuple(lv.get(s) for s in OCSC))
                      for i, (p, lv) in enumerate(OLD_FORM_2565.items())],
                     dt.datetime(2022, 10, 26, tzinfo=config.BANGKOK))


@pytest.fixture(scope="module")
def built(warehouse_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("frameworks")
    conf = config_copy(tmp / "config")
    _drive(tmp / "drive")
    with db.scratch_database(warehouse_url, "dgsa_frameworks") as url:
        env = dict(os.environ, DGSA_CONFIG_DIR=str(conf), DGSA_WAREHOUSE_URL=url)
        proc = subprocess.run([sys.executable, "-c", RUN, str(tmp / "drive"), url], env=env, capture_output=True,
                              text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr[-3000:]
        yield {"url": url, "out": json.loads(proc.stdout.strip().splitlines()[-1])}


def _rows(url, query, params=None):
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def test_files_load_under_the_framework_of_their_columns(built):
    url = built["url"]
    assert _rows(url, "SELECT count(*) FROM audit.rejected_row") == [(0,)]
    files = dict(_rows(url, "SELECT rel_path, framework_version FROM audit.source_file WHERE kind = 'submission'"))
    assert files == {"provinces/50-เชียงใหม่/DG-SA 2564.xlsx": "ocsc-2561",
                     "provinces/50-เชียงใหม่/DG-SA 2565.xlsx": FRAMEWORK,
                     "provinces/50-เชียงใหม่/แบบเดิม 2565.xlsx": "ocsc-2561"}
    rows = _rows(url, """SELECT a.round_code, a.framework_version, count(*), bool_and(a.framework_version = f.framework_version)
                         FROM core.assessment a JOIN audit.source_file f USING (file_id) GROUP BY 1, 2 ORDER BY 1, 2""")
    assert rows == [("2564", "ocsc-2561", 5, True), ("2565", "ocsc-2561", 1, True), ("2565", FRAMEWORK, 4, True)]
    skills = _rows(url, """SELECT DISTINCT s.skill_code FROM core.assessment_skill s JOIN core.assessment a
                           USING (file_id, source_row) WHERE a.framework_version = %s""", (FRAMEWORK,))
    assert {s for (s,) in skills} == set(TPQI)


def test_reference_tables_hold_the_new_framework(built):
    url = built["url"]
    skills = _rows(url, "SELECT area, count(*) FROM ref.skill WHERE framework_version = %s GROUP BY 1 ORDER BY 1",
                   (FRAMEWORK,))
    assert skills == [("core", 3), ("optional", 4)]
    assert _rows(url, "SELECT count(*) FROM ref.level WHERE framework_version = %s", (FRAMEWORK,)) == [(4,)]
    targets = _rows(url, "SELECT group_code, array_agg(skill_code ORDER BY skill_code) FROM ref.target "
                         "WHERE framework_version = %s GROUP BY 1", (FRAMEWORK,))
    assert dict(targets)["TEC"] == sorted(["DLIT", "DGOV", "DLEAD", "DTECH", "CYBER"])
    assert len(targets) == 6
    mapping = _rows(url, "SELECT skill_code, from_code FROM ref.skill_map WHERE framework_version = %s "
                         "AND from_version = 'ocsc-2561'", (FRAMEWORK,))
    assert dict(mapping) == {"DLIT": "DL", "DGOV": "GOV", "DLEAD": "LEAD", "DTECH": "TECH", "DSVC": "SVC"}
    assert _rows(url, "SELECT framework_version FROM ref.round WHERE round_code = '2565'") == [(FRAMEWORK,)]


def test_progress_across_versions_compares_the_mapped_skills_only(built):
    secret = config.person_key_secret()
    who = {person_key(cid, secret): p for p, cid in P.items()}
    got = {who[k]: tuple(rest) for k, *rest in _rows(built["url"], """
        SELECT person_key, skills_required, skills_met_now, skills_met_before, skills_compared, change
        FROM marts.person_progress WHERE round = '2565'""")}
    assert got == EXPECTED


def test_training_needs_of_the_new_round_use_its_skills(built):
    secret = config.person_key_secret()
    who = {person_key(cid, secret): p for p, cid in P.items()}
    got = {(who[k], s): g for k, s, g in _rows(built["url"], """
        SELECT person_key, skill_code, gap FROM marts.training_nominee WHERE round = '2565'""")}
    assert got == NOMINEES_2565


def test_adding_the_framework_changed_no_code(tmp_path, monkeypatch):
    """No product code, SQL or suite names the framework or its skills: it is found by listing the
    frameworks folder. Without the file the same code knows only ocsc-2561; with it, both."""
    names = re.compile(r"tpqi|DLIT|DGOV|DLEAD|DTECH|DSVC|CYBER", re.IGNORECASE)
    for folder in ("include/dgsa", "include/sql", "dags", "plugins", "expectations"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".sql", ".json", ".js", ".html") and path.is_file():
                assert not names.search(path.read_text(encoding="utf-8", errors="replace")), path
    without = config_copy(tmp_path / "without", framework_of_2565="ocsc-2561")
    (without / "frameworks" / f"{FRAMEWORK}.yaml").unlink()
    with_it = config_copy(tmp_path / "with")
    try:
        monkeypatch.setattr(config, "CONFIG_DIR", without)
        config.clear_caches()
        assert sorted(config.frameworks()) == ["ocsc-2561"]
        monkeypatch.setattr(config, "CONFIG_DIR", with_it)
        config.clear_caches()
        assert sorted(config.frameworks()) == ["ocsc-2561", FRAMEWORK]
        assert {r["round"]: r["framework_version"] for r in config.rounds()}["2565"] == FRAMEWORK
    finally:
        monkeypatch.undo()
        config.clear_caches()


def test_the_shipped_rounds_keep_ocsc_2561():
    assert {r["framework_version"] for r in config.rounds()} == {"ocsc-2561"}
    assert FRAMEWORK in config.frameworks()
