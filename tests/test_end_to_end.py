"""A generated drive through the real DAGs (`airflow dags test`), checked against the
generator's known outcomes; a second run changes nothing. (A failed task failing the run:
test_alerts.test_a_failing_task_sends_exactly_one_alert_and_fails_the_run, on the same run as its alert.)"""
import json
from collections import Counter

from dgsa.foundation import config
from dgsa_tools.sample import generator as sample
from dgsa.foundation.pii import person_key


def test_sample_drive_through_airflow(tmp_path, run_dag, sql):
    drive = tmp_path / "drive"
    expected = sample.generate(drive, people_n=160, seed=5)
    for dag_id in ("dgsa_ingest", "dgsa_marts"):
        result = run_dag(dag_id, drive)
        assert result.returncode == 0, result.stdout + result.stderr

    # the ledger: every file loaded, accounting holds
    files = sql("SELECT status, rows_read, rows_loaded, rows_rejected, rows_skipped FROM audit.source_file")
    assert len(files) == len(expected["files"]) + 1                      # + the roster
    assert {f[0] for f in files} == {"loaded"}
    assert all(r == lo + rj + sk for _, r, lo, rj, sk in files)

    # every person's status is the one the generator planned
    secret = config.person_key_secret()
    got = {k: s for k, s in sql("SELECT person_key, status FROM marts.compliance_person WHERE round = '2563'")}
    people = expected["roster"] + expected["not_on_list"]
    assert len(got) == len(people)
    for p in people:
        assert got[person_key(p["citizen_id"], secret)] == p["outcome"]

    # per-province counts, computed by hand from the plan
    plan = Counter((p["province_code"], p["outcome"]) for p in people)
    rows = sql("""SELECT province_code, on_list, submitted, compliant, late, unsigned, group_mismatch,
                         target_mismatch, missing, not_on_list FROM marts.compliance_by_province WHERE round = '2563'""")
    assert len(rows) == 77
    for code, on_list, submitted, *counts in rows:
        statuses = ["COMPLIANT", "LATE", "UNSIGNED", "GROUP_MISMATCH", "TARGET_MISMATCH", "MISSING", "NOT_ON_LIST"]
        assert counts == [plan[(code, s)] for s in statuses], code
        assert on_list == sum(plan[(code, s)] for s in statuses[:-1])
        assert submitted == on_list - plan[(code, "MISSING")]

    # a second run over the same drive loads nothing new and changes no figure
    before = sql("SELECT count(*), sum(rows_loaded) FROM audit.source_file"), \
        sql("SELECT * FROM marts.compliance_by_province ORDER BY 1, 2")
    for dag_id in ("dgsa_ingest", "dgsa_marts"):
        assert run_dag(dag_id, drive).returncode == 0
    after = sql("SELECT count(*), sum(rows_loaded) FROM audit.source_file"), \
        sql("SELECT * FROM marts.compliance_by_province ORDER BY 1, 2")
    assert after == before
    assert json.loads((tmp_path / "drive.expected.json").read_text())["seed"] == 5

