"""Marts on a hand-built drive where every status, problem combination, resubmission,
NOT_ON_LIST and training-need rule appears; exact rows asserted. Plus the publication gate
and the analyst role (real login)."""
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from dgsa.foundation import config, db
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa.foundation.pii import person_key

from helpers import ids, sub_row, when, write_roster, write_submission

P = ids(12, seed=21)
#            DL GOV TECH PROC SVC STRAT PM LEAD DT
MEETS = (2, 3, None, None, None, None, None, None, None)
BELOW = (1, None, None, None, 1, None, None, None, None)     # DL gap 1, GOV blank -> gap 2, SVC gap 1


@pytest.fixture
def fixture_drive(tmp_path, warehouse):
    # group numbers: 5 = SRV (DL, GOV, SVC), 6 = OTH (DL, GOV)
    write_roster(tmp_path, [(P[i], f"คน{i}", "ทดสอบ", "50" if i < 8 else "10", 6) for i in range(9)]
                 + [(P[9], "คน9", "ทดสอบ", "50", 5)])
    on_time = [sub_row(1, P[0], skills=MEETS),                                   # COMPLIANT
               sub_row(2, P[2], signed="ยังไม่ลงนาม", skills=MEETS),             # UNSIGNED
               sub_row(3, P[3], group="1", skills=MEETS),                        # GROUP_MISMATCH
               sub_row(4, P[4], level="3", skills=MEETS),                        # TARGET_MISMATCH
               sub_row(5, P[5], group="2", signed="N", skills=MEETS),            # UNSIGNED + GROUP_MISMATCH
               sub_row(6, P[6], signed="N", skills=MEETS),                       # unsigned first, fixed later
               sub_row(7, P[9], group="5", skills=BELOW),                        # SRV below target
               sub_row(8, P[10], skills=MEETS)]                                  # NOT_ON_LIST
    write_submission(tmp_path, "provinces/50-เชียงใหม่/รอบ1.xlsx", on_time, when(20))
    late = [sub_row(1, P[1], skills=BELOW),                                      # LATE (+ needs)
            sub_row(2, P[7], signed="N", skills=MEETS)]                          # LATE + UNSIGNED -> UNSIGNED
    write_submission(tmp_path, "provinces/50-เชียงใหม่/เพิ่มเติม.xlsx", late, when(5, 11))
    fix = [sub_row(1, P[6], skills=MEETS, date="22/10/2563")]                    # resubmitted, signed: newest wins
    write_submission(tmp_path, "provinces/50-เชียงใหม่/แก้ไข/แก้ไข.csv", fix, when(25))
    # P[8]: on the list (Bangkok), never submitted -> MISSING
    ingest.run_all(tmp_path, url=warehouse)
    marts.build(warehouse)
    return tmp_path


def _key(i):
    return person_key(P[i], config.person_key_secret())


def test_compliance_person_rows(fixture_drive, sql):
    got = {k: (s, p) for k, s, p in sql("SELECT person_key, status, problems FROM marts.compliance_person")}
    expect = {0: ("COMPLIANT", []), 1: ("LATE", ["LATE"]), 2: ("UNSIGNED", ["UNSIGNED"]),
              3: ("GROUP_MISMATCH", ["GROUP_MISMATCH"]), 4: ("TARGET_MISMATCH", ["TARGET_MISMATCH"]),
              5: ("UNSIGNED", ["UNSIGNED", "GROUP_MISMATCH"]), 6: ("COMPLIANT", []),
              7: ("UNSIGNED", ["LATE", "UNSIGNED"]), 8: ("MISSING", ["MISSING"]), 9: ("COMPLIANT", []),
              10: ("NOT_ON_LIST", ["NOT_ON_LIST"])}
    assert got == {_key(i): v for i, v in expect.items()}
    masked = sql("SELECT citizen_id_masked FROM marts.compliance_person WHERE person_key = %s", (_key(0),))[0][0]
    assert masked == f"x-xxxx-xxxxx-{P[0][10:12]}-{P[0][12]}"
    # the resubmission won, the first version stays in history
    assert sql("SELECT count(*) FROM core.assessment WHERE citizen_id = %s", (P[6],)) == [(2,)]


def test_compliance_by_province_rows(fixture_drive, sql):
    rows = sql("""SELECT province_code, on_list, submitted, compliant, late, unsigned, group_mismatch, target_mismatch,
                         missing, not_on_list, compliance_rate::float FROM marts.compliance_by_province
                  WHERE on_list > 0 OR not_on_list > 0 ORDER BY 1""")
    assert rows == [("10", 1, 0, 0, 0, 0, 0, 0, 1, 0, 0.0),
                    ("50", 9, 9, 3, 1, 3, 1, 1, 0, 1, round(3 / 9, 4))]


def test_training_marts(fixture_drive, sql):
    nominees = sql("SELECT person_key, target_group, skill_code, assessed_level, required_level, gap "
                   "FROM marts.training_nominee ORDER BY 1, 3")
    assert sorted(nominees) == sorted([
        (_key(1), "OTH", "DL", 1, 2, 1), (_key(1), "OTH", "GOV", None, 2, 2),
        (_key(9), "SRV", "DL", 1, 2, 1), (_key(9), "SRV", "GOV", None, 2, 2), (_key(9), "SRV", "SVC", 1, 2, 1)])
    needs = sql("SELECT province_code, target_group, skill_code, people_assessed, people_below_target, avg_gap::float "
                "FROM marts.training_needs ORDER BY 1, 2, 3")
    assert needs == [("10", "OTH", "DL", 0, 0, 0.0), ("10", "OTH", "GOV", 0, 0, 0.0),
                     ("50", "OTH", "DL", 8, 1, 1.0), ("50", "OTH", "GOV", 8, 1, 2.0),
                     ("50", "SRV", "DL", 1, 1, 1.0), ("50", "SRV", "GOV", 1, 1, 2.0), ("50", "SRV", "SVC", 1, 1, 1.0)]
    progress = sql("SELECT province_code, people_assessed, people_meeting_all, share_meeting_all::float "
                   "FROM marts.target_progress WHERE people_assessed > 0")
    assert progress == [("50", 9, 7, round(7 / 9, 4))]


def test_broken_build_is_refused_and_old_marts_survive(fixture_drive, warehouse, sql):
    before = sql("SELECT * FROM marts.compliance_by_province ORDER BY 1, 2")
    broken = ("CREATE TABLE mart_build.compliance_by_province AS SELECT round, province_code, on_list + 1 AS on_list, "
              "submitted, compliant, late, unsigned, group_mismatch, target_mismatch, missing, not_on_list, "
              "compliance_rate FROM marts.compliance_by_province")
    with pytest.raises(marts.GateFailed, match="compliance_by_province: on_list equals the sum of the statuses"):
        marts.build(warehouse, sql_override={"compliance_by_province": broken})
    assert sql("SELECT * FROM marts.compliance_by_province ORDER BY 1, 2") == before
    assert sql("SELECT published FROM audit.mart_build ORDER BY build_id DESC LIMIT 1") == [(False,)]


def test_analyst_reads_published_schemas_only(fixture_drive, warehouse):
    url = make_url(warehouse).set(username="dgsa_analyst", password=None)
    conn = psycopg2.connect(db.dsn(url.render_as_string(hide_password=False)))
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in ("marts.compliance_by_province", "marts.training_needs", "audit.source_file",
                      "audit.rejected_row", "ref.province"):
            cur.execute(f"SELECT count(*) FROM {table}")
            with db.transaction(warehouse) as owner, owner.cursor() as own:   # the analyst sees every row
                own.execute(f"SELECT count(*) FROM {table}")
                assert cur.fetchone() == own.fetchone()
        for forbidden in ("SELECT * FROM core.assessment", "SELECT * FROM raw.source_row",
                          "SELECT * FROM core.current_roster", "DELETE FROM marts.compliance_person",
                          "INSERT INTO ref.province VALUES ('99', 'x', 'x', 'x', 'x')",
                          "CREATE TABLE marts.mine (x int)", "CREATE TABLE public.mine (x int)",
                          "UPDATE audit.source_file SET status = 'loaded'"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(forbidden)
    conn.close()


# check (meta.check) -> SQL that breaks exactly that expectation on a copy of the published mart
BREAK = {
    "compliance_person": {
        "one row per round and person": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1",
        "every listed person appears exactly once": "DELETE FROM {t} WHERE ctid = (SELECT min(ctid) FROM {t} "
                                                    "WHERE status = 'MISSING')",
        "status is a known status": "UPDATE {t} SET status = 'LOST' WHERE status = 'NOT_ON_LIST'",
        "the status is among the problems (or COMPLIANT with none)":
            "UPDATE {t} SET status = 'LATE' WHERE status = 'COMPLIANT'",
        "citizen_id_masked shows only the last 3 digits": "UPDATE {t} SET citizen_id_masked = 'x-1'",
    },
    "compliance_by_province": {
        "one row per round and province": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1",
        "on_list equals the sum of the statuses": "UPDATE {t} SET on_list = on_list + 1",
        "compliance_rate between 0 and 1": "UPDATE {t} SET compliance_rate = 1.5",
        "submitted <= on_list": "UPDATE {t} SET submitted = on_list + 1",
    },
    "training_nominee": {
        "one row per round, person and skill": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1",
        "gap is positive": "UPDATE {t} SET gap = 0",
    },
    "training_needs": {
        "one row per round, province, group and skill": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1",
        "people_below_target equals the nominee rows": "UPDATE {t} SET people_below_target = people_below_target + 1",
        "people_below_target <= people_assessed": "UPDATE {t} SET people_assessed = 0 WHERE people_below_target > 0",
    },
    "target_progress": {
        "one row per round and province": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1",
        "share_meeting_all between 0 and 1": "UPDATE {t} SET share_meeting_all = -0.5",
        "improved and fell back are among the assessed": "UPDATE {t} SET people_improved = people_assessed + 1",
        "improved and fell back equal the person_progress rows": "UPDATE {t} SET people_fell_back = people_fell_back + 1",
        "on_track is null in a province's first assessed round and where nobody is assessed":
            "UPDATE {t} SET on_track = true",
    },
    "person_progress": {   # the fixture drive has one round: these break on an added row
        "one row per round and person": "INSERT INTO {t} SELECT * FROM {t} LIMIT 1; "
                                        "INSERT INTO {t} (round, person_key, change) VALUES ('2564', 'k', 'UNCHANGED'), "
                                        "('2564', 'k', 'UNCHANGED')",
        "every person on a later round's list appears exactly once, nobody else":
            "INSERT INTO {t} (round, person_key, change) VALUES ('2564', 'k', 'UNCHANGED')",
        "change is one of the six": "INSERT INTO {t} (round, person_key, change) VALUES ('2564', 'k', 'BETTER')",
        "the six changes add up to the list":
            "INSERT INTO {t} (round, province_code, person_key, change) VALUES ('2564', '50', 'k', 'UNCHANGED')",
        "skills met within 0 and skills_required":
            "INSERT INTO {t} (round, person_key, change, skills_required, skills_met_now) "
            "VALUES ('2564', 'k', 'UNCHANGED', 2, 3)",
        "NOT_ASSESSED and FIRST_ASSESSMENT agree with the assessments":
            "INSERT INTO {t} (round, person_key, change, skills_met_now) VALUES ('2564', 'k', 'NOT_ASSESSED', 1)",
        "citizen_id_masked shows only the last 3 digits":
            "INSERT INTO {t} (round, person_key, change, citizen_id_masked) "
            "VALUES ('2564', 'k', 'UNCHANGED', '1-2345-67890-12-3')",
    },
}


def test_every_mart_expectation_has_a_breaking_case():
    from dgsa.contract import suites as contract
    for mart in marts.MARTS:
        checks = [e["meta"]["check"] for e in contract.suite_json(f"marts/{mart}")["expectations"]]
        assert sorted(checks) == sorted(BREAK[mart]), mart


def test_each_mart_expectation_breaks_on_a_broken_copy_and_passes_on_the_real_one(fixture_drive, warehouse):
    """The published marts pass their suites; a copy broken for one expectation fails that one."""
    from dgsa.contract import suites as contract
    for mart in marts.MARTS:
        with db.transaction(warehouse) as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS mart_build.{mart}; "
                        f"CREATE TABLE mart_build.{mart} AS SELECT * FROM marts.{mart}")
        clean = contract.verdicts(contract.validate_table(f"marts/{mart}", warehouse, "mart_build", mart))
        assert all(v.success for v in clean), [v.label for v in clean if not v.success]
        for check, breaking in BREAK[mart].items():
            with db.transaction(warehouse) as conn, conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS mart_build.{mart}; "
                            f"CREATE TABLE mart_build.{mart} AS SELECT * FROM marts.{mart}")
                if mart == "training_needs":   # its cross-check reads the nominee build too
                    cur.execute("DROP TABLE IF EXISTS mart_build.training_nominee; CREATE TABLE "
                                "mart_build.training_nominee AS SELECT * FROM marts.training_nominee")
                cur.execute(breaking.format(t=f"mart_build.{mart}"))
            failed = [v.meta["check"] for v in contract.verdicts(
                contract.validate_table(f"marts/{mart}", warehouse, "mart_build", mart)) if not v.success]
            assert check in failed, (mart, check, failed)


def test_mart_validations_are_recorded(fixture_drive, sql):
    rows = sql("""SELECT mart, count(*), bool_and(success) FROM audit.validation_result WHERE mart IS NOT NULL
                  GROUP BY 1 ORDER BY 1""")
    assert [r[0] for r in rows] == sorted(marts.MARTS) and all(ok for _, _, ok in rows)
    assert sql("SELECT count(*) FROM audit.validation_run WHERE suite LIKE 'marts/%' AND success") == [
        (len(marts.MARTS),)]
