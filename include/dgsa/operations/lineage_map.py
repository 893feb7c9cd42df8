"""What each dgsa step reads and writes, as OpenLineage datasets, and the ledger facts behind the facets.

Names follow OpenLineage's naming spec: a warehouse table is namespace `postgres://host:port`,
name `db.schema.table`; a folder or file on the drive (or the outbox) is namespace `file`,
name its absolute path. Light: imports no pandas or GX (the provider calls it in the task process).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openlineage.client.event_v2 import Dataset
from sqlalchemy.engine import make_url

from dgsa.foundation import config, db

# the marts are the SQL files of include/sql/marts (those not starting with "_")
MARTS = tuple(sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "sql" / "marts").glob("*.sql")
                     if not p.stem.startswith("_")))
CORE = ("core.assessment", "core.roster_entry", "audit.version_in_force", "audit.source_file", "ref.round",
        "ref.target", "ref.province")
LOADED = ("raw.source_row", "core.assessment", "audit.rejected_row", "audit.validation_result", "audit.source_file")

# (dag_id, task_id) -> (inputs, outputs); "drive:" a path inside the drive, "outbox:"/"docs:" those folders
STEPS: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("dgsa_ingest", "prepare"): (("config:",), ("ref.province", "ref.round", "ref.target", "ref.reason_code")),
    ("dgsa_ingest", "scan_drive"): (("drive:",), ("audit.source_file", "audit.load_run")),
    ("dgsa_ingest", "load_roster"): (("drive:roster",), ("raw.source_row", "core.roster_entry",
                                                          "audit.rejected_row", "audit.validation_result",
                                                          "audit.source_file")),
    ("dgsa_ingest", "provinces_to_load"): (("audit.source_file",), ()),
    ("dgsa_ingest", "load_province"): (("drive:provinces",), LOADED),
    ("dgsa_ingest", "reconcile"): (("raw.source_row", "core.assessment", "core.roster_entry", "audit.rejected_row",
                                    "audit.source_file"), ("audit.load_run",)),
    ("dgsa_marts", "build_marts"): (CORE, tuple(f"marts.{m}" for m in MARTS) + ("audit.mart_build",)),
    ("dgsa_marts", "build_data_docs"): (("audit.validation_run",), ("docs:",)),
    ("dgsa_marts", "write_feedback"): (("marts.compliance_person", "marts.compliance_by_province",
                                        "audit.source_file", "audit.rejected_row"), ("outbox:",)),
    ("dgsa_marts", "summarise_run"): (("audit.load_run", "audit.source_file", "audit.mart_build",
                                       "marts.compliance_by_province"), ("audit.run_summary", "outbox:run-summary.md")),
    ("dgsa_lateness", "check_lateness"): (("marts.compliance_by_province", "audit.source_file"),
                                          ("audit.alert_sent",)),
}


def table(qualified: str, url: str | None = None) -> Dataset:
    """A warehouse table: namespace postgres://host:port, name db.schema.table."""
    u = make_url(url or config.warehouse_url())
    return Dataset(namespace=f"postgres://{u.host or 'localhost'}:{u.port or 5432}", name=f"{u.database}.{qualified}")


def folder(path: Path) -> Dataset:
    return Dataset(namespace="file", name=str(Path(path).resolve()))


def drive_path(rel: str = "") -> Dataset:
    return folder(config.drive_path() / rel if rel else config.drive_path())


def _outbox() -> Path:
    from dgsa.operations.feedback import outbox_dir   # noqa: PLC0415 - openpyxl only when asked

    return outbox_dir()


def _resolve(ref: str, codes: list[str] | None) -> list[Dataset]:
    kind, _, rest = ref.partition(":")
    if not _:
        return [table(ref)]
    if kind == "drive" and rest == "provinces" and codes:
        return [drive_path(f) for f in province_folders(codes)] or [drive_path("provinces")]
    if kind == "drive":
        return [drive_path(rest)]
    if kind == "outbox":
        return [folder(_outbox() / rest if rest else _outbox())]
    if kind == "docs":
        from dgsa.contract.docs import docs_dir   # noqa: PLC0415

        return [folder(docs_dir())]
    return [folder(config.CONFIG_DIR)] if hasattr(config, "CONFIG_DIR") else []


def datasets(dag_id: str, task_id: str, codes: list[str] | None = None) -> tuple[list[Dataset], list[Dataset]]:
    ins, outs = STEPS.get((dag_id, task_id), ((), ()))
    return ([d for r in ins for d in _resolve(r, codes)], [d for r in outs for d in _resolve(r, codes)])


def province_folders(codes: list[str]) -> list[str]:
    """provinces/<NN-name> folders (relative to the drive) that hold the provinces' files."""
    root = config.drive_path() / "provinces"
    found = []
    for code in codes:
        found += [f"provinces/{p.name}" for p in sorted(root.glob(f"{code}*")) if p.is_dir()
                  and p.name[:len(code)] == code and not p.name[len(code):len(code) + 1].isdigit()]
    return found


def _folder_of(rel_path: str, kind: str) -> str:
    parts = rel_path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def ledger(codes: list[str] | None, kind: str, since: datetime | None) -> tuple[list[dict], list[dict]]:
    """The files a load task processed (processed since it started), and the GX expectations
    run on them: one assertion per expectation and column, per folder, passed if it passed on every file."""
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("""SELECT file_id, rel_path, status, reason_code, rows_read, rows_loaded, rows_rejected,
                              rows_skipped, size_bytes
                       FROM audit.source_file
                       WHERE kind = %s AND (%s::text[] IS NULL OR province_code = ANY(%s))
                         AND processed_at >= coalesce(%s, '-infinity'::timestamptz)
                       ORDER BY rel_path""", (kind, codes, codes, since))
        cols = [c.name for c in cur.description]
        files = [dict(zip(cols, r)) for r in cur.fetchall()]
        for f in files:
            f["folder"] = _folder_of(f["rel_path"], kind)
        by_id = {f["file_id"]: f["folder"] for f in files}
        cur.execute("""SELECT file_id, suite, expectation, column_name, bool_and(success)
                       FROM audit.validation_result WHERE file_id = ANY(%s)
                       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, min(expectation_no)""",
                    (list(by_id),))
        merged: dict[tuple, dict] = {}
        for fid, suite, expectation, column, success in cur.fetchall():
            key = (by_id[fid], suite, expectation, column)
            item = merged.setdefault(key, {"folder": by_id[fid], "assertion": f"{suite}.{expectation}",
                                           "column": column, "success": True})
            item["success"] = item["success"] and bool(success)
    return files, list(merged.values())


def marts(since: datetime | None) -> list[tuple[str, int, list[dict]]]:
    """Each mart built since the task started: rows, and its GX mart suite's assertions."""
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("""SELECT DISTINCT ON (mart) mart, coalesce(row_count, 0), built_at FROM audit.mart_build
                       WHERE built_at >= coalesce(%s, '-infinity'::timestamptz) ORDER BY mart, build_id DESC""",
                    (since,))
        built = cur.fetchall()
        out = []
        for mart, rows, _ in built:
            cur.execute("""SELECT expectation, column_name, success FROM audit.validation_result
                           WHERE mart = %s AND validated_at >= coalesce(%s, '-infinity'::timestamptz)
                           ORDER BY validation_id DESC, expectation_no""", (mart, since))
            seen, checks = set(), []
            for expectation, column, success in cur.fetchall():
                if (expectation, column) not in seen:
                    seen.add((expectation, column))
                    checks.append({"assertion": f"marts/{mart}.{expectation}", "column": column, "success": success})
            out.append((mart, int(rows), checks))
    return out
