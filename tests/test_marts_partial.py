"""Marts rebuilt only for the rounds whose inputs changed (issue 19): a partial build recomputes
the changed rounds (and their successors' progress rows), copies the other rounds' rows from the
published marts, and gives EXACTLY the rows of a forced full build; nothing new is a recorded
skip; anything global is a full build; a refused gate keeps the previous marts.

The drive is tests/multiround_drive.py's three rounds, written round by round as the provinces
send them (rosters and files of a round arrive together), ingested after each."""
from __future__ import annotations

import pytest

from dgsa.ingest import steps as ingest
from dgsa.ingest import withdraw
from dgsa.marts import build as marts

import multiround_drive as mr
from helpers import ids, sub_row, write_roster, write_submission

CIDS = dict(zip(mr.PEOPLE, ids(len(mr.PEOPLE), seed=29)))


def _rows_of(rnd: str, prov: str, bump: str | None = None) -> list:
    rows = []
    for n, (p, rounds) in mr.PEOPLE.items():
        group, levels = rounds.get(rnd, (None, None))
        if p != prov or levels is None:
            continue
        levels = dict(levels, **({bump: min(4, (levels.get(bump) or 0) + 1)} if bump else {}))
        rows.append(sub_row(len(rows) + 1, CIDS[n], group=group, level=str(mr.TARGET), date=f"15/10/{rnd}",
                            skills=tuple(levels.get(s) for s in mr.SKILLS), province=prov, first=n, last=mr.LAST))
    return rows


def _write_round(drive, rnd: str) -> None:
    roster = [(CIDS[n], n, mr.LAST, prov, rounds[rnd][0]) for n, (prov, rounds) in mr.PEOPLE.items() if rnd in rounds]
    write_roster(drive, roster, round_code=rnd, moment=mr.moment(rnd, 9, 30))
    for prov, folder in mr.FOLDERS.items():
        rows = _rows_of(rnd, prov)
        if rows:
            write_submission(drive, f"provinces/{folder}/dgsa-{rnd}.xlsx", rows, mr.moment(rnd))


def _snapshot(sql) -> dict[str, list]:
    """Every mart, every row, in a stable order (row-for-row comparison)."""
    return {m: sorted(sql(f"SELECT * FROM marts.{m}"), key=repr) for m in marts.MARTS}


def _rounds_in(sql) -> dict[str, list[str]]:
    return {m: [r for r, in sql(f"SELECT DISTINCT round FROM marts.{m} ORDER BY 1")] for m in marts.MARTS}


def _equals_full(sql, warehouse) -> dict[str, list]:
    """The published marts of the build just made equal those of a forced full build, row for row."""
    partial = _snapshot(sql)
    out = marts.build(warehouse, full=True)
    assert out["mode"] == "full" and out["reason"] == "full build asked for"
    full = _snapshot(sql)
    for m in marts.MARTS:
        assert partial[m] == full[m], m
    return full


def _last_state(sql) -> tuple:
    return sql("""SELECT outcome, mode, rebuilt_rounds, progress_rounds FROM audit.mart_build_state
                  ORDER BY state_id DESC LIMIT 1""")[0]


@pytest.fixture
def two_rounds(tmp_path, warehouse, sql):
    sql("TRUNCATE audit.mart_build_state")   # the conftest's reset keeps it (it drops the marts: a full build anyway)
    drive = tmp_path / "drive"
    for rnd in ("2563", "2564"):
        _write_round(drive, rnd)
    ingest.run_all(drive, url=warehouse)
    first = marts.build(warehouse)
    assert first["mode"] == "full" and first["reason"].startswith("first build")
    assert _rounds_in(sql)["compliance_person"] == ["2563", "2564"]
    return drive


def test_a_new_round_and_a_new_file_of_an_old_round_rebuild_only_their_rounds(two_rounds, warehouse, sql):
    drive = two_rounds
    # round 2565 arrives (its roster and files): only 2565 is recomputed; it has no successor
    _write_round(drive, "2565")
    ingest.run_all(drive, url=warehouse)
    kept_2563 = sql("SELECT * FROM marts.compliance_person WHERE round = '2563' ORDER BY person_key")
    out = marts.build(warehouse)
    assert (out["mode"], out["rebuilt_rounds"], out["progress_rounds"]) == ("partial", ["2565"], ["2565"])
    assert _last_state(sql) == ("published", "partial", ["2565"], ["2565"])
    assert _rounds_in(sql)["compliance_person"] == ["2563", "2564", "2565"]
    assert _rounds_in(sql)["person_progress"] == ["2564", "2565"]
    assert sql("SELECT * FROM marts.compliance_person WHERE round = '2563' ORDER BY person_key") == kept_2563
    _equals_full(sql, warehouse)

    # a late extra file of 2564 in province 57 (someone's second, better assessment): 2564, and
    # 2565's progress (it compares with 2564)
    write_submission(drive, "provinces/57-เชียงราย/เพิ่มเติม-2564.xlsx", _rows_of("2564", "57", bump="DL"),
                     mr.moment("2564", 10, 25))
    ingest.run_all(drive, url=warehouse)
    out = marts.build(warehouse)
    assert (out["mode"], out["rebuilt_rounds"], out["progress_rounds"]) == ("partial", ["2564"], ["2564", "2565"])
    # the figures moved where they should (proof the partial build saw the file), and only there
    assert sql("""SELECT change FROM marts.person_progress WHERE round = '2564' AND province_code = '57'""") == [
        ("IMPROVED",)]
    full = _equals_full(sql, warehouse)
    assert sum(len(v) for v in full.values()) > 100


def test_withdrawing_or_replacing_an_old_rounds_version_rebuilds_it_and_its_successors_progress(
        two_rounds, warehouse, sql):
    drive = two_rounds
    _write_round(drive, "2565")
    ingest.run_all(drive, url=warehouse)
    assert marts.build(warehouse)["rebuilt_rounds"] == ["2565"]
    before = _snapshot(sql)

    # withdraw Chiang Mai's 2563 file: its people become MISSING in 2563, FIRST_ASSESSMENT in 2564
    (fid,), = sql("SELECT file_id FROM audit.source_file WHERE rel_path = %s",
                  (f"provinces/{mr.FOLDERS['50']}/dgsa-2563.xlsx",))
    withdraw.withdraw(fid, reason="test: sent by mistake", by="test", url=warehouse)
    out = marts.build(warehouse)
    assert (out["mode"], out["rebuilt_rounds"], out["progress_rounds"]) == ("partial", ["2563"], ["2563", "2564"])
    assert sql("""SELECT count(*) FROM marts.compliance_person WHERE round = '2563' AND province_code = '50'
                  AND status <> 'MISSING'""") == [(0,)]
    after = _equals_full(sql, warehouse)
    assert after["person_progress"] != before["person_progress"]
    # 2565 and its progress rows are as they were (they do not compare with 2563)
    for m in ("compliance_person", "training_nominee", "person_progress"):
        assert [r for r in after[m] if r[0] == "2565"] == [r for r in before[m] if r[0] == "2565"], m

    # a new version of Chiang Rai's 2563 file (the same path, one skill higher): it replaces the
    # older one for 2563 only
    write_submission(drive, f"provinces/{mr.FOLDERS['57']}/dgsa-2563.xlsx", _rows_of("2563", "57", bump="GOV"),
                     mr.moment("2563", 10, 28))
    ingest.run_all(drive, url=warehouse)
    out = marts.build(warehouse)
    assert (out["mode"], out["rebuilt_rounds"], out["progress_rounds"]) == ("partial", ["2563"], ["2563", "2564"])
    _equals_full(sql, warehouse)


def test_nothing_new_is_skipped_and_recorded_and_global_changes_rebuild_everything(two_rounds, warehouse, sql,
                                                                                   monkeypatch):
    drive = two_rounds
    before, builds = _snapshot(sql), sql("SELECT count(*) FROM audit.mart_build")
    oids = sql("SELECT relname, oid FROM pg_class WHERE relnamespace = 'marts'::regnamespace AND relkind = 'r'")
    ingest.run_all(drive, url=warehouse)     # the nightly run with nothing new (prepare re-seeds ref)
    out = marts.build(warehouse, run_name="nightly")
    assert out["mode"] == "skipped" and out["reason"].startswith("nothing changed")
    assert _snapshot(sql) == before and sql("SELECT count(*) FROM audit.mart_build") == builds
    assert sql("SELECT relname, oid FROM pg_class WHERE relnamespace = 'marts'::regnamespace AND relkind = 'r'") == oids
    assert sql("""SELECT run_name, outcome, mode FROM audit.mart_build_state ORDER BY state_id DESC LIMIT 1""") == [
        ("nightly", "skipped", "none")]
    assert marts.build(warehouse)["mode"] == "skipped"      # a skip is a baseline too

    monkeypatch.setenv("DGSA_MARTS_FULL", "1")
    assert marts.build(warehouse)["mode"] == "full"
    monkeypatch.delenv("DGSA_MARTS_FULL")
    # reference data (a province's English name) -> full; a mart table gone -> full
    sql("UPDATE ref.province SET name_en = name_en || ' (x)' WHERE province_code = '57'")
    out = marts.build(warehouse)
    assert out["mode"] == "full" and "reference data" in out["reason"]
    assert sql("SELECT DISTINCT province_name_en FROM marts.compliance_by_province WHERE province_code = '57'")[0][
        0].endswith(" (x)")
    ingest.prepare(warehouse)                                 # the configuration back
    assert marts.build(warehouse)["mode"] == "full"
    sql("DROP TABLE marts.training_needs")
    out = marts.build(warehouse)
    assert out["mode"] == "full" and out["reason"] == "mart table missing: training_needs"
    assert _snapshot(sql) == before


def test_a_refused_partial_build_keeps_the_previous_marts_and_its_baseline(two_rounds, warehouse, sql):
    drive = two_rounds
    _write_round(drive, "2565")
    ingest.run_all(drive, url=warehouse)
    # a published row of a round the partial build copies is wrong: the gate judges every row it
    # would publish, copied or recomputed, and refuses
    sql("UPDATE marts.compliance_by_province SET on_list = on_list + 1 WHERE round = '2563' AND province_code = '10'")
    before = _snapshot(sql)
    with pytest.raises(marts.GateFailed, match="compliance_by_province: on_list equals the sum of the statuses"):
        marts.build(warehouse)
    assert _snapshot(sql) == before
    assert _rounds_in(sql)["compliance_person"] == ["2563", "2564"]
    assert sql("SELECT published FROM audit.mart_build ORDER BY build_id DESC LIMIT 1") == [(False,)]
    assert _last_state(sql) == ("failed", "partial", ["2565"], ["2565"])
    # the failed build is no baseline: the next one still sees 2565 as new
    sql("UPDATE marts.compliance_by_province SET on_list = on_list - 1 WHERE round = '2563' AND province_code = '10'")
    out = marts.build(warehouse)
    assert (out["mode"], out["rebuilt_rounds"]) == ("partial", ["2565"])
    _equals_full(sql, warehouse)
