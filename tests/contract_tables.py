"""The warehouse's contract tables as plain, comparable data: every table a province, analyst or
mart reads, keyed by file path and source row rather than by generated ids or clock times.

Used to show that two engines (or two runs) produce the same warehouse from the same drive.
"""
from __future__ import annotations

try:
    from dgsa.foundation import db
except ImportError:   # the engine before the house step (tests/test_engine_equivalence.py runs it from git history)
    from dgsa import db

QUERIES = {
    "source_file": """SELECT rel_path, kind, province_code, round_code, sha256, size_bytes, status, reason_code,
                             message, rows_read, rows_loaded, rows_rejected, rows_skipped, file_format, encoding,
                             sheet_name, header_row, header::text, column_map::text, framework_version,
                             (SELECT d.rel_path FROM audit.source_file d WHERE d.file_id = f.duplicate_of),
                             (SELECT s.rel_path FROM audit.source_file s WHERE s.file_id = f.superseded_by)
                      FROM audit.source_file f""",
    "rejected_row": """SELECT f.rel_path, r.source_row, r.reason_code, r.column_name, r.raw_value, r.message_th,
                              r.message_en FROM audit.rejected_row r JOIN audit.source_file f USING (file_id)""",
    "source_row": """SELECT f.rel_path, r.source_row, r.cells::text, r.row_kind
                     FROM raw.source_row r JOIN audit.source_file f USING (file_id)""",
    "assessment": """SELECT f.rel_path, a.source_row, a.round_code, a.province_code, a.citizen_id, a.person_key,
                            a.title, a.first_name, a.last_name, a.position, a.position_level, a.unit,
                            a.declared_group, a.declared_target_level, a.assessed_on, a.overall_level, a.signed,
                            a.signed_on, a.remarks, a.framework_version, a.received_at
                     FROM core.assessment a JOIN audit.source_file f USING (file_id)""",
    "assessment_skill": """SELECT f.rel_path, s.source_row, s.skill_code, s.level_ordinal
                           FROM core.assessment_skill s JOIN audit.source_file f USING (file_id)""",
    "roster_entry": """SELECT f.rel_path, r.source_row, r.round_code, r.citizen_id, r.person_key, r.title,
                              r.first_name, r.last_name, r.position, r.position_level, r.unit, r.province_code,
                              r.assigned_group FROM core.roster_entry r JOIN audit.source_file f USING (file_id)""",
    "validation_result": """SELECT f.rel_path, v.suite, v.expectation_no, v.expectation, v.column_name,
                                   v.reason_code, v.success, v.element_count, v.unexpected_count
                            FROM audit.validation_result v JOIN audit.source_file f USING (file_id)""",
    "compliance_person": """SELECT m.round, m.province_code, m.person_key, m.citizen_id_masked, m.full_name, m.unit,
                                   m.position, m.assigned_group, m.declared_group, m.status, m.problems::text,
                                   m.received_at, f.rel_path
                            FROM marts.compliance_person m LEFT JOIN audit.source_file f
                                 ON f.file_id = m.source_file_id""",
    "compliance_by_province": "SELECT * FROM marts.compliance_by_province",
    "training_needs": "SELECT * FROM marts.training_needs",
    "training_nominee": "SELECT * FROM marts.training_nominee",
    # the columns of the engine at bc6afbc (test_engine_equivalence); the progress columns
    # (issue 18) are 0 / null on single-round drives and are held by tests/test_progress.py
    "target_progress": """SELECT round, province_code, people_assessed, people_meeting_all, share_meeting_all
                          FROM marts.target_progress""",
}


def dump(url: str, tables=None) -> dict[str, list[tuple]]:
    """{table: sorted rows}; values as text so that any two warehouses compare exactly."""
    out = {}
    with db.transaction(url) as conn, conn.cursor() as cur:
        for name, query in QUERIES.items():
            if tables and name not in tables:
                continue
            cur.execute(query)
            out[name] = sorted(tuple("" if v is None else str(v) for v in row) for row in cur.fetchall())
    return out


def differences(a: dict, b: dict, limit: int = 5) -> list[str]:
    """What differs between two dumps, table by table (counts and the first rows that differ;
    row contents are not printed, as they may hold citizen IDs: only the path and row number)."""
    out = []
    for name in sorted(set(a) | set(b)):
        ra, rb = set(a.get(name, [])), set(b.get(name, []))
        if ra != rb:
            only_a = sorted(ra - rb)[:limit]
            only_b = sorted(rb - ra)[:limit]
            out.append(f"{name}: {len(ra)} vs {len(rb)} rows; only in first: {[r[:2] for r in only_a]}; "
                       f"only in second: {[r[:2] for r in only_b]}")
    return out
