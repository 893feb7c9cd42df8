"""A newer version of a path replaces the older one ONLY for the rounds the newer version holds
rows of (issue 18.1, the ledger side; domain spec: Rounds). The ledger says so honestly: an
older version replaced for some rounds stays loaded, with the rounds it was replaced for and by
which version; one replaced for all its rounds is superseded; a new version rejected whole
replaces nothing. Row accounting holds for every version."""
from __future__ import annotations

import datetime as dt

from dgsa.foundation import config
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa.operations import feedback

from helpers import ids, sub_row, when, write_roster, write_submission

P = ids(12, seed=41)
PATH = "provinces/50-เชียงใหม่/dgsa.xlsx"
D63, D64 = "20/10/2563", "15/10/2564"          # inside round 2563's window, inside 2564's


def _2564(day: int = 20) -> dt.datetime:
    return dt.datetime(2021, 10, day, 10, tzinfo=config.BANGKOK)


def _run(drive, url):
    return ingest.run_all(drive, url)


def _versions(sql) -> list[tuple]:
    return sql("""SELECT file_id, status, coalesce(reason_code, ''), replaced_rounds, superseded_by
                  FROM audit.source_file WHERE rel_path = %s ORDER BY file_id""", (PATH,))


def _in_force(sql) -> set[tuple]:
    return set(sql("SELECT file_id, round_code, rows_loaded FROM audit.version_in_force WHERE rel_path = %s",
                   (PATH,)))


def _live(sql, round_code: str) -> list[str]:
    return sorted(r[0] for r in sql("SELECT citizen_id FROM core.live_assessment WHERE round_code = %s",
                                    (round_code,)))


def _accounting_holds(sql, url) -> None:
    assert sql("""SELECT count(*) FROM audit.source_file
                  WHERE rows_read <> rows_loaded + rows_rejected + rows_skipped""") == [(0,)]
    ingest.reconcile(url=url)


def _compliance_2563(sql) -> list[tuple]:
    return sql("""SELECT person_key, status, source_file_id FROM marts.compliance_person
                  WHERE round = '2563' ORDER BY person_key""")


def test_a_2564_file_under_last_years_name_leaves_2563_alone(tmp_path, warehouse, sql):
    write_roster(tmp_path, [(c, "ก", "ข", "50", 6) for c in P[:4]])
    write_submission(tmp_path, PATH, [sub_row(i + 1, c, date=D63) for i, c in enumerate(P[:3])], when(20))
    _run(tmp_path, warehouse)
    marts.build(url=warehouse)
    before_2563 = _compliance_2563(sql)
    (old_id, *_), = _versions(sql)
    assert [s for _, s, *_ in _versions(sql)] == ["loaded"] and len(before_2563) == 4

    # next year: the province saves its 2564 results under last year's file name
    write_submission(tmp_path, PATH, [sub_row(i + 1, c, date=D64) for i, c in enumerate([P[0], P[1], P[5]])],
                     _2564())
    _run(tmp_path, warehouse)
    marts.build(url=warehouse)
    (_, old_status, old_reason, old_replaced, old_by), (new_id, new_status, *_) = _versions(sql)
    # the older version holds only 2563, which the newer one does not hold: still in force, untouched
    assert (old_status, old_reason, old_replaced, old_by) == ("loaded", "", None, None)
    assert new_status == "loaded"
    assert _in_force(sql) == {(old_id, "2563", 3), (new_id, "2564", 3)}
    assert _live(sql, "2563") == sorted(P[:3]) and _live(sql, "2564") == sorted([P[0], P[1], P[5]])
    assert _compliance_2563(sql) == before_2563          # nobody's 2563 result moved
    _accounting_holds(sql, warehouse)


def test_a_file_of_both_rounds_replaced_by_one_of_2564_only(tmp_path, warehouse, sql):
    both = [sub_row(1, P[0], date=D63), sub_row(2, P[1], date=D63), sub_row(3, P[2], date=D64),
            sub_row(4, P[3], date=D64)]
    write_submission(tmp_path, PATH, both, _2564())
    _run(tmp_path, warehouse)
    (first_id, *_), = _versions(sql)
    assert _in_force(sql) == {(first_id, "2563", 2), (first_id, "2564", 2)}

    write_submission(tmp_path, PATH, [sub_row(1, P[2], date=D64), sub_row(2, P[6], date=D64)], _2564(22))
    _run(tmp_path, warehouse)
    (_, status, reason, replaced, by), (second_id, second_status, *_) = _versions(sql)
    assert (status, reason, by, second_status) == ("loaded", "", None, "loaded")
    assert replaced == {"2564": second_id}                # replaced for 2564 only, by the newer version
    message = sql("SELECT message FROM audit.source_file WHERE file_id = %s", (first_id,))[0][0]
    assert "round 2564" in message and f"file {second_id}" in message and "stays in force" in message
    assert _in_force(sql) == {(first_id, "2563", 2), (second_id, "2564", 2)}
    assert _live(sql, "2563") == sorted(P[:2]) and _live(sql, "2564") == sorted([P[2], P[6]])
    _accounting_holds(sql, warehouse)

    # a third version holding 2563 only: the first is now replaced for every round it holds
    write_submission(tmp_path, PATH, [sub_row(1, P[7], date=D63)], _2564(24))
    _run(tmp_path, warehouse)
    rows = _versions(sql)
    third_id = rows[2][0]
    assert rows[0][1:] == ("superseded", "SUPERSEDED", {"2563": third_id, "2564": second_id}, third_id)
    assert rows[1][1:3] == ("loaded", "") and rows[2][1:3] == ("loaded", "")
    assert _in_force(sql) == {(third_id, "2563", 1), (second_id, "2564", 2)}
    assert _live(sql, "2563") == [P[7]]
    _accounting_holds(sql, warehouse)


def test_a_new_version_rejected_whole_replaces_nothing(tmp_path, warehouse, sql):
    write_submission(tmp_path, PATH, [sub_row(1, P[0], date=D63), sub_row(2, P[1], date=D63)], when(20))
    _run(tmp_path, warehouse)
    (first_id, *_), = _versions(sql)
    # the same name, now without a header row anywhere: rejected whole
    write_submission(tmp_path, PATH, [["x", "y"], ["z", "w"]], when(25), header=["a", "b"], title_lines=())
    _run(tmp_path, warehouse)
    (_, status, *_), (second_id, second_status, second_reason, *_) = _versions(sql)
    assert (status, second_status, second_reason) == ("loaded", "rejected", "NO_HEADER_ROW")
    message = sql("SELECT message FROM audit.source_file WHERE file_id = %s", (second_id,))[0][0]
    assert "replaces nothing" in message and f"file {first_id}" in message
    summary = feedback.collect(warehouse, ["50"])["50"]["summary"]
    note = next(r[5] for r in summary if len(r) == 6 and r[0] == "dgsa.xlsx" and r[1].startswith("ไม่ได้นำเข้า"))
    assert "ไม่ได้แทนที่ฉบับก่อน" in note and "replaces nothing" in note     # the province reads it, Thai and English
    assert _in_force(sql) == {(first_id, "2563", 2)} and _live(sql, "2563") == sorted(P[:2])
    _accounting_holds(sql, warehouse)


def test_a_roster_copied_unchanged_into_next_rounds_folder_is_that_rounds_list(tmp_path, warehouse, sql):
    """The ministry copies last year's list unchanged: the same bytes under roster/2564/ are 2564's list,
    not a duplicate of 2563's (a copy within one round's folder still is a duplicate)."""
    first = write_roster(tmp_path, [(c, "ก", "ข", "50", 6) for c in P[:4]])
    again = tmp_path / "roster" / "2564" / first.name
    again.parent.mkdir(parents=True)
    again.write_bytes(first.read_bytes())
    same_round = tmp_path / "roster" / "2563" / "copy.xlsx"
    same_round.write_bytes(first.read_bytes())
    _run(tmp_path, warehouse)
    assert sql("""SELECT rel_path, status FROM audit.source_file WHERE kind = 'roster' ORDER BY rel_path""") == [
        ("roster/2563/copy.xlsx", "duplicate"), ("roster/2563/roster.xlsx", "loaded"),
        ("roster/2564/roster.xlsx", "loaded")]
    assert sql("SELECT round_code, count(*) FROM core.current_roster GROUP BY 1 ORDER BY 1") == [("2563", 4), ("2564", 4)]
