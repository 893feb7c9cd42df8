"""The --messy sample drive: every variant loads with the right values, every bad case gets
its exact status, reason and row numbers; row accounting holds; a re-run adds nothing."""
import pytest

from dgsa import ingest, sample


@pytest.fixture(scope="module")
def messy(tmp_path_factory, warehouse_url):
    from dgsa import db
    from conftest import RESET_SQL
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    drive = tmp_path_factory.mktemp("messy") / "drive"
    expected = sample.generate(drive, people_n=80, seed=13, messy=True)
    ingest.run_all(drive, url=warehouse_url)
    return drive, expected


def _rows(url, query, params=None):
    from dgsa import db
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def sample_messy_cases():
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        return sample.generate(Path(d) / "x", 80, seed=13, messy=True)["cases"]


CASES = sample_messy_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["file"].rsplit("/", 1)[-1] for c in CASES])
def test_case(messy, warehouse_url, case):
    (status, reason, file_id, read, loaded, rejected, skipped), = _rows(
        warehouse_url, """SELECT status, reason_code, file_id, rows_read, rows_loaded, rows_rejected, rows_skipped
                          FROM audit.source_file WHERE rel_path = %s""", (case["file"],))
    assert (status, reason) == (case["status"], case["reason_code"]), case["note"]
    assert read == loaded + rejected + skipped
    got_rej = _rows(warehouse_url, "SELECT source_row, reason_code FROM audit.rejected_row WHERE file_id = %s "
                                   "ORDER BY 1, 2", (file_id,))
    if case["rejections"]:
        assert [list(r) for r in got_rej] == case["rejections"]
    for cid, want in case["loaded"].items():
        row = _rows(warehouse_url, """
            SELECT declared_group, declared_target_level, assessed_on::text, signed, first_name, last_name, title,
                   (SELECT jsonb_object_agg(skill_code, level_ordinal) FROM core.assessment_skill s
                     WHERE s.file_id = a.file_id AND s.source_row = a.source_row)
            FROM core.assessment a WHERE file_id = %s AND citizen_id = %s""", (file_id, cid))
        assert len(row) == 1, f"{case['file']}: person not loaded"
        got = dict(zip(["declared_group", "declared_target_level", "assessed_on", "signed", "first_name", "last_name",
                        "title", "skills"], row[0]))
        assert got == want, case["note"]
    if status == "partially_loaded":
        assert loaded == len(case["loaded"])


def test_formula_looking_values_are_kept_as_text(messy, warehouse_url):
    got = {r for r, in _rows(warehouse_url, "SELECT remarks FROM core.assessment WHERE remarks IS NOT NULL")}
    assert {"=1+1", "@note"} <= got


def test_accounting_and_rerun_adds_nothing(messy, warehouse_url):
    drive, _ = messy
    before = _rows(warehouse_url, "SELECT count(*), sum(rows_loaded), (SELECT count(*) FROM audit.rejected_row) "
                                  "FROM audit.source_file")
    totals = ingest.run_all(drive, url=warehouse_url)["totals"]
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_rejected"] + totals["rows_skipped"]
    assert _rows(warehouse_url, "SELECT count(*), sum(rows_loaded), (SELECT count(*) FROM audit.rejected_row) "
                                "FROM audit.source_file") == before
    raw_ids = _rows(warehouse_url, "SELECT count(*) FROM audit.rejected_row WHERE raw_value ~ '[0-9]{13}'")
    assert raw_ids == [(0,)]          # no full citizen ID in the public audit schema
