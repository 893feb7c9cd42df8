"""marts.person_progress and the progress columns of marts.target_progress on a small hand-built
drive of three rounds (2563, 2564, 2565), every figure computed by hand here, not read back.

Groups: 6 = OTH (requires DL, GOV), 5 = SRV (DL, GOV, SVC); target level 2 (Developing); goal 2565.
A blank skill is level 0.

Province 50 (Chiang Mai)   2563 -> 2564                                   change
  A  OTH  DL1 GOV2 -> DL2 GOV2                                          IMPROVED
  B  OTH  DL2 GOV3 -> DL2 GOV1                                          FELL_BACK
  C  OTH  DL1 GOV3 -> DL3 GOV2                                          MIXED
  D  OTH  DL2 GOV2 -> DL2 GOV2                                          UNCHANGED
  E  OTH  DL2 GOV- -> DL2 GOV1          (blank = 0, so GOV rose)        IMPROVED
  F  OTH  listed, not assessed -> DL2 GOV2                              FIRST_ASSESSMENT
  G  OTH  DL2 GOV2 -> listed, not assessed                              NOT_ASSESSED
  H  OTH -> SRV (changed group): DL2 GOV2 TECH1 SVC2 -> DL2 GOV2 TECH3 SVC1
        compared over SRV's skills (DL, GOV, SVC): SVC fell, TECH is not required
                                                                        FELL_BACK
  T  transfer: 2563 on Bangkok's (10) list DL1 GOV2, 2564 on 50's list DL2 GOV2
                                                                        IMPROVED (province 50)
  J  joined in 2564, assessed DL1 GOV1                                  FIRST_ASSESSMENT
  J2 joined in 2564, not assessed                                       NOT_ASSESSED
  K  not on 2563's list but assessed then (NOT_ON_LIST) DL1 GOV1, on 2564's list DL1 GOV2
                                                                        IMPROVED
  L  left: on 2563's list (DL1 GOV1), not on 2564's (submits anyway)    no row
Province 10 (Bangkok): M DL2 GOV2 -> DL3 GOV3 IMPROVED; T left for 50.
Province 11: U1 DL2 GOV2 -> same UNCHANGED, U2 DL1 GOV1 -> DL2 GOV2 IMPROVED, U3 DL1 GOV1 -> DL1 GOV2 IMPROVED.
Province 12: N listed in 2563, not assessed; assessed in 2564 (DL2 GOV2): FIRST_ASSESSMENT.
Round 2565: lists M (10) and A (50); M assessed DL2 GOV2 (UNCHANGED since 2564: DL3 GOV3 -> fell: FELL_BACK), A not.

Shares meeting every required skill (people_meeting_all / people_assessed) and on_track:
  50: 2563 assessed A B C D E G H L = 8, meeting B D G H = 4 -> s0 = 1/2 (first round: on_track null)
      2564 assessed A B C D E F H T J K = 10, meeting A C D F T = 5 -> 0.5 (H misses SRV's SVC, K DL);
           expected 1/2 + 1/2 * (2564-2563)/(2565-2563) = 0.75 -> not on track
      2565 nobody assessed -> on_track null
  10: 2563 T M: meeting M -> 1/2; 2564 M -> 1/1 >= 0.75 on track; 2565 M meets, 1/1 >= 1.0 (goal year) on track
  11: 2563 U1 -> 1/3; 2564 U1 U2 -> 2/3; expected 1/3 + 2/3 * 1/2 = 2/3 exactly -> on track (exact comparison)
  12: first assessed in 2564 -> on_track null there
"""
import datetime as dt

import pytest

from dgsa.foundation import config, db
from dgsa.foundation.pii import person_key
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts

from conftest import RESET_SQL
from helpers import ids, sub_row, write_roster, write_submission

NAMES = ["A", "B", "C", "D", "E", "F", "G", "H", "T", "J", "J2", "K", "L", "M", "U1", "U2", "U3", "N"]
CID = dict(zip(NAMES, ids(len(NAMES), seed=77)))
FOLDERS = {"50": "50-เชียงใหม่", "10": "10-กรุงเทพมหานคร", "11": "11-สมุทรปราการ", "12": "12-นนทบุรี"}
# B.E. round -> (assessment date as the province types it, when the file reached the drive)
DATES = {"2563": ("20/10/2563", dt.datetime(2020, 10, 25, 10, tzinfo=config.BANGKOK)),
         "2564": ("20/10/2564", dt.datetime(2021, 10, 25, 10, tzinfo=config.BANGKOK)),
         "2565": ("20/10/2565", dt.datetime(2022, 10, 25, 10, tzinfo=config.BANGKOK))}

ROSTERS = {   # round -> [(person, province, group no.)]
    "2563": [(p, "50", 6) for p in "ABCDEFGH"] + [("L", "50", 6), ("T", "10", 6), ("M", "10", 6)]
            + [(p, "11", 6) for p in ("U1", "U2", "U3")] + [("N", "12", 6)],
    "2564": [(p, "50", 6) for p in "ABCDEFG"] + [("H", "50", 5), ("T", "50", 6), ("J", "50", 6), ("J2", "50", 6),
                                                 ("K", "50", 6), ("M", "10", 6)]
            + [(p, "11", 6) for p in ("U1", "U2", "U3")] + [("N", "12", 6)],
    "2565": [("M", "10", 6), ("A", "50", 6)],
}
ASSESSED = {  # round -> [(person, submitting province, group no. declared, {skill: level})]
    "2563": [("A", "50", 6, {"DL": 1, "GOV": 2}), ("B", "50", 6, {"DL": 2, "GOV": 3}),
             ("C", "50", 6, {"DL": 1, "GOV": 3}), ("D", "50", 6, {"DL": 2, "GOV": 2}),
             ("E", "50", 6, {"DL": 2}), ("G", "50", 6, {"DL": 2, "GOV": 2}),
             ("H", "50", 6, {"DL": 2, "GOV": 2, "TECH": 1, "SVC": 2}), ("L", "50", 6, {"DL": 1, "GOV": 1}),
             ("K", "50", 6, {"DL": 1, "GOV": 1}),
             ("T", "10", 6, {"DL": 1, "GOV": 2}), ("M", "10", 6, {"DL": 2, "GOV": 2}),
             ("U1", "11", 6, {"DL": 2, "GOV": 2}), ("U2", "11", 6, {"DL": 1, "GOV": 1}),
             ("U3", "11", 6, {"DL": 1, "GOV": 1})],
    "2564": [("A", "50", 6, {"DL": 2, "GOV": 2}), ("B", "50", 6, {"DL": 2, "GOV": 1}),
             ("C", "50", 6, {"DL": 3, "GOV": 2}), ("D", "50", 6, {"DL": 2, "GOV": 2}),
             ("E", "50", 6, {"DL": 2, "GOV": 1}), ("F", "50", 6, {"DL": 2, "GOV": 2}),
             ("H", "50", 5, {"DL": 2, "GOV": 2, "TECH": 3, "SVC": 1}), ("T", "50", 6, {"DL": 2, "GOV": 2}),
             ("J", "50", 6, {"DL": 1, "GOV": 1}), ("K", "50", 6, {"DL": 1, "GOV": 2}),
             ("L", "50", 6, {"DL": 2, "GOV": 2}),
             ("M", "10", 6, {"DL": 3, "GOV": 3}),
             ("U1", "11", 6, {"DL": 2, "GOV": 2}), ("U2", "11", 6, {"DL": 2, "GOV": 2}),
             ("U3", "11", 6, {"DL": 1, "GOV": 2}), ("N", "12", 6, {"DL": 2, "GOV": 2})],
    "2565": [("M", "10", 6, {"DL": 2, "GOV": 2})],
}
SKILLS = ("DL", "GOV", "TECH", "PROC", "SVC", "STRAT", "PM", "LEAD", "DT")

# (round, person) -> (province, previous province, group, previous group, required, met now, met before, change)
EXPECTED = {
    ("2564", "A"): ("50", "50", "OTH", "OTH", 2, 2, 1, "IMPROVED"),
    ("2564", "B"): ("50", "50", "OTH", "OTH", 2, 1, 2, "FELL_BACK"),
    ("2564", "C"): ("50", "50", "OTH", "OTH", 2, 2, 1, "MIXED"),
    ("2564", "D"): ("50", "50", "OTH", "OTH", 2, 2, 2, "UNCHANGED"),
    ("2564", "E"): ("50", "50", "OTH", "OTH", 2, 1, 1, "IMPROVED"),
    ("2564", "F"): ("50", "50", "OTH", "OTH", 2, 2, None, "FIRST_ASSESSMENT"),
    ("2564", "G"): ("50", "50", "OTH", "OTH", 2, None, 2, "NOT_ASSESSED"),
    ("2564", "H"): ("50", "50", "SRV", "OTH", 3, 2, 3, "FELL_BACK"),
    ("2564", "T"): ("50", "10", "OTH", "OTH", 2, 2, 1, "IMPROVED"),
    ("2564", "J"): ("50", None, "OTH", None, 2, 0, None, "FIRST_ASSESSMENT"),
    ("2564", "J2"): ("50", None, "OTH", None, 2, None, None, "NOT_ASSESSED"),
    ("2564", "K"): ("50", None, "OTH", None, 2, 1, 0, "IMPROVED"),
    ("2564", "M"): ("10", "10", "OTH", "OTH", 2, 2, 2, "IMPROVED"),
    ("2564", "U1"): ("11", "11", "OTH", "OTH", 2, 2, 2, "UNCHANGED"),
    ("2564", "U2"): ("11", "11", "OTH", "OTH", 2, 2, 0, "IMPROVED"),
    ("2564", "U3"): ("11", "11", "OTH", "OTH", 2, 1, 0, "IMPROVED"),
    ("2564", "N"): ("12", "12", "OTH", "OTH", 2, 2, None, "FIRST_ASSESSMENT"),
    ("2565", "M"): ("10", "10", "OTH", "OTH", 2, 2, 2, "FELL_BACK"),
    ("2565", "A"): ("50", "50", "OTH", "OTH", 2, None, 2, "NOT_ASSESSED"),
}
# (round, province) -> (assessed, meeting all, improved, fell back, on_track)
PROGRESS = {
    ("2563", "50"): (8, 4, 0, 0, None), ("2564", "50"): (10, 5, 4, 2, False), ("2565", "50"): (0, 0, 0, 0, None),
    ("2563", "10"): (2, 1, 0, 0, None), ("2564", "10"): (1, 1, 1, 0, True), ("2565", "10"): (1, 1, 0, 1, True),
    ("2563", "11"): (3, 1, 0, 0, None), ("2564", "11"): (3, 2, 2, 0, True), ("2565", "11"): (0, 0, 0, 0, None),
    ("2563", "12"): (0, 0, 0, 0, None), ("2564", "12"): (1, 1, 0, 0, None), ("2565", "12"): (0, 0, 0, 0, None),
}


def _drive(root):
    for rnd, people in ROSTERS.items():
        write_roster(root, [(CID[p], p, "ทดสอบ", prov, grp) for p, prov, grp in people], round_code=rnd,
                     moment=DATES[rnd][1] - dt.timedelta(days=20))
        date, moment = DATES[rnd]
        for prov, folder in FOLDERS.items():
            rows = [sub_row(i + 1, CID[p], group=str(grp), date=date, province=prov, first=p,
                            skills=tuple(levels.get(s) for s in SKILLS))
                    for i, (p, pv, grp, levels) in enumerate(x for x in ASSESSED[rnd] if x[1] == prov)]
            if rows:
                write_submission(root, f"provinces/{folder}/DG-SA {rnd}.xlsx", rows, moment)


@pytest.fixture(scope="module")
def built(warehouse_url, tmp_path_factory):
    with db.scratch_database(warehouse_url, "dgsa_progress") as url:
        ingest.prepare(url)
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute(RESET_SQL)
        root = tmp_path_factory.mktemp("progress") / "drive"
        _drive(root)
        ingest.run_all(root, url=url)
        marts.build(url)      # the mart suites (the invariants) passed, or this raises
        yield url


def _rows(url, query):
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_everything_loaded(built):
    rows = _rows(built, "SELECT round_code, count(*) FROM core.assessment GROUP BY 1 ORDER BY 1")
    assert rows == [(r, len(a)) for r, a in ASSESSED.items()]
    assert _rows(built, "SELECT count(*) FROM audit.rejected_row") == [(0,)]


def test_person_progress_rows(built):
    secret = config.person_key_secret()
    who = {person_key(CID[p], secret): p for p in NAMES}
    got = {(r[0], who[r[1]]): r[2:] for r in _rows(built, """
        SELECT round, person_key, province_code, previous_province_code, assigned_group, previous_assigned_group,
               skills_required, skills_met_now, skills_met_before, change FROM marts.person_progress""")}
    assert got == EXPECTED
    # the leaver (L) has no row; no row for the first round (no previous round)
    assert ("2564", "L") not in got and not any(r == "2563" for r, _ in got)


def test_person_progress_previous_round_and_masking(built):
    rows = _rows(built, "SELECT DISTINCT round, previous_round FROM marts.person_progress ORDER BY 1")
    assert rows == [("2564", "2563"), ("2565", "2564")]
    masked = _rows(built, "SELECT citizen_id_masked FROM marts.person_progress")
    assert all(m[0].startswith("x-xxxx-xxxxx-") for m in masked)


def test_the_six_changes_add_up_to_each_list(built):
    rows = _rows(built, """
        SELECT c.round, c.province_code, c.on_list, count(p.person_key)
        FROM marts.compliance_by_province c
        LEFT JOIN marts.person_progress p ON p.round = c.round AND p.province_code = c.province_code
        WHERE c.on_list > 0 AND c.round <> '2563' GROUP BY 1, 2, 3""")
    assert rows and all(on_list == n for _, _, on_list, n in rows)
    on_lists = {(r, prov): sum(1 for _, pv, _ in people if pv == prov) for r, people in ROSTERS.items()
                for prov in FOLDERS}
    assert {(r, p): n for r, p, n, _ in rows} == {k: v for k, v in on_lists.items() if v and k[0] != "2563"}


def test_target_progress_improved_fell_back_on_track(built):
    got = {(r[0], r[1]): tuple(r[2:]) for r in _rows(built, """
        SELECT round, province_code, people_assessed, people_meeting_all, people_improved, people_fell_back,
               on_track FROM marts.target_progress WHERE province_code IN ('10', '11', '12', '50')""")}
    assert got == PROGRESS


def test_expected_share_is_the_straight_line(built):
    got = dict(((r, p), float(e)) for r, p, e in _rows(built, """
        SELECT round, province_code, expected_share FROM marts.target_progress WHERE expected_share IS NOT NULL
          AND province_code IN ('10', '11', '50')"""))
    assert got == {("2564", "50"): 0.75, ("2564", "10"): 0.75, ("2565", "10"): 1.0, ("2564", "11"): 0.6667}
    # every other province has nobody assessed: no verdict
    assert _rows(built, "SELECT count(*) FROM marts.target_progress WHERE on_track IS NOT NULL "
                        "AND province_code NOT IN ('10', '11', '50')") == [(0,)]
