"""Feedback workbooks to provinces: what we received, how the province progressed since the
previous round, which rows to fix and why, which files were not loaded, and who still has to be
chased in the current round (the latest with data, or --round). Thai first, then English; what
each sheet says is in feedback_sheets.py.

One workbook per province with anything to say (a file in its folder, or someone to follow up),
written to DGSA_OUTBOX (default .dgsa/outbox; never the drive) as
    <outbox>/<NN-name>/DG-SA-feedback-<NN>-<YYYYmmdd-HHMMSS>.xlsx
only when its content changed since the last one (outbox/manifest.json keeps each province's
latest file and content hash); earlier workbooks stay as history.

    python -m dgsa.operations.feedback          # make feedback: write what changed, print where
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path

from dgsa.foundation import config, db, pii
from dgsa.foundation.sqlfiles import read_sql
from dgsa.operations import feedback_sheets as sheets
from dgsa.operations.feedback_sheets import SHEETS, TITLES, thai_datetime

log = logging.getLogger(__name__)
FONT = "TH Sarabun New"          # the Thai government's standard font; Excel substitutes if absent
FONT_SIZE = 14
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def outbox_dir() -> Path:
    """DGSA_OUTBOX (default .dgsa/outbox). Refuses a folder inside the drive: the drive is read-only."""
    path = Path(os.environ.get("DGSA_OUTBOX") or config.PROJECT_DIR / ".dgsa" / "outbox").resolve()
    drive = os.environ.get("DGSA_DRIVE")
    if drive and path.is_relative_to(Path(drive).resolve()):
        raise config.ConfigError(f"DGSA_OUTBOX={path} is inside the drive {drive}: feedback never goes on the drive")
    return path


# ---------------------------------------------------------------- content (plain rows, hashed)
def _query(cur, name: str, params: dict) -> list[dict]:
    cur.execute(read_sql(f"feedback/{name}.sql"), params)
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _exists(cur, relation: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,))
    return cur.fetchone()[0]


def current_round(url: str | None = None) -> str | None:
    """The latest round with data in the marts (anyone on its list or anyone who submitted)."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        if not _exists(cur, "marts.compliance_by_province"):
            return None
        cur.execute(read_sql("feedback/current_round.sql"))
        return cur.fetchone()[0]


def collect(url: str | None = None, provinces: list[str] | None = None, round_code: str | None = None) -> dict[str, dict]:
    """Every workbook's content, by province code: {code: {"title": ..., sheet key: [rows]}}, about
    `round_code` (default: the current round, see current_round)."""
    round_code = round_code or current_round(url)
    with db.transaction(url) as conn, conn.cursor() as cur:
        with_marts = _exists(cur, "marts.compliance_person")
        with_progress = with_marts and _exists(cur, "marts.person_progress")
        cur.execute(read_sql("feedback/provinces.sql"))
        codes = {r[0] for r in cur.fetchall()}
        if with_marts:
            cur.execute(read_sql("feedback/provinces_follow_up.sql"), {"round": round_code})
            codes |= {r[0] for r in cur.fetchall()}
        codes = sorted(codes if provinces is None else codes & set(provinces))
        params = {"provinces": codes, "round": round_code}
        cur.execute(read_sql("feedback/previous_round.sql"), params)
        previous = cur.fetchone()[0]
        params["previous"] = previous
        files = _query(cur, "files", params)
        rejected = _query(cur, "rejected_rows", params)
        counts = _query(cur, "compliance", params) if with_marts else []
        follow = _query(cur, "follow_up", params) if with_marts else []
        totals = _query(cur, "progress_totals", params) if with_progress else []
        people = _query(cur, "progress_people", params) if with_progress else []
    names = {p["province_code"]: p for p in config.provinces()}
    out = {}
    for code in codes:
        mine = lambda rows: [r for r in rows if r["province_code"] == code]  # noqa: E731
        out[code] = {
            "code": code, "name_th": names[code]["name_th"], "name_en": names[code]["name_en"], "round": round_code,
            "summary": sheets.summary_rows(code, mine(counts), mine(files)),
            "progress": sheets.progress_rows(round_code, previous if with_progress else None, mine(totals),
                                             mine(people)),
            "rejected": sheets.rejected_rows(mine(rejected)),
            "not_loaded": sheets.not_loaded_rows(mine(files)),
            "follow_up": sheets.follow_up_rows(mine(follow)),
        }
    return out


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- the workbook
def safe_cell(cell, value) -> None:
    """Write a value; text that a spreadsheet could take for a formula stays text (data type
    string, and Excel's quote prefix so editing the cell keeps it text)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    value = pii.scrub(value)
    if isinstance(value, str):       # control characters (typed or pasted) cannot go into .xlsx XML
        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    cell.value = value
    if isinstance(value, str) and value.startswith(RISKY_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_workbook(path: Path, content: dict, as_of: dt.datetime) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, not at DAG parse time
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    plain, bold = Font(name=FONT, size=FONT_SIZE), Font(name=FONT, size=FONT_SIZE, bold=True)
    title_font, fill = Font(name=FONT, size=FONT_SIZE + 4, bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(vertical="top", wrap_text=True)      # one style object for every cell (not one per cell)
    wb = Workbook()
    wb.remove(wb.active)
    for key, sheet_name in SHEETS.items():
        ws = wb.create_sheet(sheet_name)
        in_round = f" รอบ {content['round']} / round {content['round']}" if content.get("round") else ""
        top = [[f"{TITLES[key]}: จังหวัด{content['name_th']} ({content['code']}) / {content['name_en']}{in_round}"],
               ["ข้อมูล ณ / As of", thai_datetime(as_of)]]
        rows = top + content.get(key, [[]])
        widths: dict[int, float] = {}
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c)
                safe_cell(cell, value)
                cell.font, cell.alignment = plain, wrap
                if value not in (None, "") and r > 2:
                    widths[c] = max(widths.get(c, 0), min(60, max(len(line) for line in str(value).split("\n"))))
        ws.cell(row=1, column=1).font = title_font
        ws.cell(row=1, column=1).alignment = Alignment(vertical="top", wrap_text=False)
        # the header row: row 3, or in the summary and progress the row under each section title
        sectioned = key in ("summary", "progress")
        header_rows = [3] if not sectioned else [
            r + 1 for r in range(3, len(rows)) if len(rows[r - 1]) == 1 and len(rows[r]) > 1]
        for r in header_rows:
            for cell in ws[r]:
                cell.font, cell.fill = bold, fill
        for r, values in enumerate(rows, start=1):        # section titles in the summary
            if len(values) == 1 and r > 2:
                ws.cell(row=r, column=1).font = bold
                ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)
        for c, width in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = max(10, width * 1.1 + 2)
        ws.freeze_panes = "A4" if not sectioned else "A3"
        if not sectioned and len(rows) > 3:
            ws.auto_filter.ref = f"A3:{get_column_letter(len(rows[2]))}{len(rows)}"
    wb.properties.title = f"DG-SA feedback {content['code']}"
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    os.replace(tmp, path)


def write_all(url: str | None = None, outbox: Path | None = None, provinces: list[str] | None = None,
              now: dt.datetime | None = None, round_code: str | None = None) -> dict:
    """Write every province's workbook whose content changed, about `round_code` (default: the
    latest round with data). Returns what was written."""
    outbox = outbox or outbox_dir()
    outbox.mkdir(parents=True, exist_ok=True)
    now = (now or dt.datetime.now(config.BANGKOK)).astimezone(config.BANGKOK)
    manifest_path = outbox / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    written, unchanged = [], 0
    for code, content in collect(url, provinces, round_code).items():
        digest = content_hash(content)
        last = manifest.get(code)
        if last and last["sha256"] == digest and (outbox / last["file"]).exists():
            unchanged += 1
            continue
        folder = outbox / f"{code}-{content['name_th']}"
        folder.mkdir(exist_ok=True)
        path = folder / f"DG-SA-feedback-{code}-{now:%Y%m%d-%H%M%S}.xlsx"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"DG-SA-feedback-{code}-{now:%Y%m%d-%H%M%S}-{n}.xlsx"
        write_workbook(path, content, now)
        manifest[code] = {"file": path.relative_to(outbox).as_posix(), "sha256": digest,
                          "written_at": now.isoformat(), "rejected_rows": len(content["rejected"]) - 1,
                          "follow_up": len(content["follow_up"]) - 1}
        written.append(manifest[code]["file"])
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, manifest_path)
    log.info("feedback: %d workbooks written, %d unchanged, in %s", len(written), unchanged, outbox)
    return {"outbox": str(outbox), "written": written, "unchanged": unchanged}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--province", action="append", help="only these province codes (repeatable)")
    parser.add_argument("--round", help="the round to report on (default: the latest round with data)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = write_all(provinces=args.province, round_code=args.round)
    print(f"feedback workbooks in {result['outbox']}: {len(result['written'])} written, "
          f"{result['unchanged']} unchanged")
    for rel in result["written"]:
        print("  " + rel)


if __name__ == "__main__":
    main()
