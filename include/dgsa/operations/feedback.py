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
import itertools
import json
import logging
import os
from pathlib import Path

from dgsa.foundation import config, db
from dgsa.foundation.sqlfiles import read_sql
from dgsa.operations import feedback_sheets as sheets
from dgsa.operations import feedback_xlsx as xlsx
from dgsa.operations.feedback_sheets import SHEETS, TITLES, thai_datetime

log = logging.getLogger(__name__)
FONT = "TH Sarabun New"          # the Thai government's standard font; Excel substitutes if absent
FONT_SIZE = 14
RISKY_START = xlsx.RISKY_START     # such text is stored as text with Excel's quote prefix, never a formula


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


def _by_province(rows: list[dict]) -> dict[str, list[dict]]:
    """One pass over all provinces' rows (each query asks for every province at once), in order."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["province_code"], []).append(r)
    return out


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
    by_province = {name: _by_province(rows) for name, rows in
                   (("files", files), ("rejected", rejected), ("counts", counts), ("follow", follow),
                    ("totals", totals), ("people", people))}
    out = {}
    for code in codes:
        mine = lambda name: by_province[name].get(code, [])  # noqa: E731
        out[code] = {
            "code": code, "name_th": names[code]["name_th"], "name_en": names[code]["name_en"], "round": round_code,
            "summary": sheets.summary_rows(code, mine("counts"), mine("files")),
            "progress": sheets.progress_rows(round_code, previous if with_progress else None, mine("totals"),
                                             mine("people")),
            "rejected": sheets.rejected_rows(mine("rejected")),
            "not_loaded": sheets.not_loaded_rows(mine("files")),
            "follow_up": sheets.follow_up_rows(mine("follow")),
        }
    return out


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- the workbook
def _widths(rows: list[list]) -> dict[int, float]:
    """Column number -> width: its longest line of text (at most 60 characters) x 1.1 + 2, at
    least 10; columns with no value keep the default width. Column by column, in C loops."""
    out = {}
    for c, column in enumerate(itertools.zip_longest(*rows), start=1):
        values = [v for v in column if v is not None and v != ""]
        if values:
            longest = min(60, max(map(len, "\n".join(map(str, values)).split("\n"))))
            out[c] = max(10, longest * 1.1 + 2)
    return out


def sheet_layout(key: str, rows: list[list]) -> dict:
    """How a sheet is laid out (rows numbered from 1): the title in A1, the header row (row 3, or
    in the summary and progress the row under each section title) bold on the fill across the
    sheet's width, section titles (a row of one value below row 2) bold, columns sized to their
    longest line (10 to 60 characters), the rows above the header frozen, an autofilter over the
    table of a sheet that is one table."""
    ncols = max(map(len, rows))
    sectioned = key in ("summary", "progress")
    header_rows = [3] if not sectioned else [
        r + 1 for r in range(3, len(rows)) if len(rows[r - 1]) == 1 and len(rows[r]) > 1]
    styles = {1: [xlsx.TITLE] + [xlsx.PLAIN] * (len(rows[0]) - 1)}
    for r in header_rows:
        n = len(rows[r - 1])
        styles[r] = [xlsx.HEADER] * n + [xlsx.HEADER_FILLER] * (ncols - n)
    for r, values in enumerate(rows, start=1):
        if len(values) == 1 and r > 2:       # a section title: bold, not wrapped (on the fill if also a header)
            fill = styles[r][0][1] if r in styles else None
            styles[r] = [(xlsx.SECTION[0], fill, xlsx.SECTION[2])] + styles.get(r, [])[1:]
    return {"styles": styles, "widths": _widths(rows[2:]),
            "freeze": "A3" if sectioned else "A4",
            "autofilter": f"A3:{xlsx.COLS[len(rows[2]) - 1]}{len(rows)}" if not sectioned and len(rows) > 3 else None}


def write_workbook(path: Path, content: dict, as_of: dt.datetime) -> None:
    """The province's workbook, streamed sheet by sheet (feedback_xlsx): every cell a value, text a
    spreadsheet could take for a formula stored as text with Excel's quote prefix, citizen IDs
    masked in free text, the font TH Sarabun New."""
    book = xlsx.XlsxStream(path, font=FONT, size=FONT_SIZE)
    try:
        in_round = f" รอบ {content['round']} / round {content['round']}" if content.get("round") else ""
        for key, sheet_name in SHEETS.items():
            top = [[f"{TITLES[key]}: จังหวัด{content['name_th']} ({content['code']}) / {content['name_en']}{in_round}"],
                   ["ข้อมูล ณ / As of", thai_datetime(as_of)]]
            rows = top + content.get(key, [[]])
            book.add_sheet(sheet_name, rows, **sheet_layout(key, rows))
        book.close(title=f"DG-SA feedback {content['code']}")
    except BaseException:
        book.abort()
        raise


def _in_passes(url: str | None, provinces: list[str] | None, round_code: str | None):
    """collect() a few provinces at a time (DGSA_FEEDBACK_PROVINCES_PER_PASS, default 20): memory is
    bounded by the largest pass, not the country (every province's follow-up list at once was
    2.1 GB at 2,200,000 people); each pass is a handful of queries filtered by its provinces."""
    per_pass = max(1, int(config.float_setting("DGSA_FEEDBACK_PROVINCES_PER_PASS", 20)))
    codes = sorted(p["province_code"] for p in config.provinces())
    if provinces is not None:
        codes = [c for c in codes if c in set(provinces)]
    for i in range(0, len(codes), per_pass):
        yield from collect(url, codes[i:i + per_pass], round_code).items()


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
    for code, content in _in_passes(url, provinces, round_code or current_round(url)):
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
