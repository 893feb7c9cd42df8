"""Memory check: one roster of N rows (default 2,200,000, every civil servant) loaded by
`python -m dgsa.ingest` with the DEFAULT settings into a scratch database; prints the ledger's
counts, the seconds, the CPU seconds and the peak RSS (GNU time).

    python -m dgsa_tools.bench.memory [--rows 2200000] [--xlsx] [--work-dir DIR] [--keep FILE]

--xlsx writes the roster as one Excel sheet the way Excel saves it (every text cell a shared
string, the sequence number a number; citizen IDs as text, so the shared strings hold one per
person), streamed: the generator's memory does not grow with the rows. Excel itself stops at
1,048,576 rows; the XML has no such bound, and a bigger sheet measures the reader at the
ministry's size. --keep copies the generated file there (to measure a reader alone).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from dgsa.foundation import config, db

ROOT = Path(__file__).resolve().parents[3]
HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "สังกัด", "ตำแหน่ง", "จังหวัด", "กลุ่มเป้าหมาย"]


def citizen_id(n: int) -> str:
    body = f"1{n:011d}"
    return body + str((11 - sum(int(d) * w for d, w in zip(body, range(13, 1, -1))) % 11) % 10)


def write_roster(drive: Path, rows: int) -> Path:
    path = drive / "roster" / "2563" / "บัญชีกลุ่มเป้าหมาย.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = [p["province_code"] for p in config.provinces()]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["บัญชีกลุ่มเป้าหมาย รอบปี 2563"])
        w.writerow(HEADER)
        for i in range(1, rows + 1):
            w.writerow([i, citizen_id(i), "นาย", f"สมชาย{i % 997}", f"ใจดี{i % 991}", "สำนักงานจังหวัด",
                        "นักจัดการงานทั่วไป", codes[i % len(codes)], str(1 + i % 6)])
    return path


def _roster_rows(rows: int):
    codes = [p["province_code"] for p in config.provinces()]
    for i in range(1, rows + 1):
        yield [i, citizen_id(i), "นาย", f"สมชาย{i % 997}", f"ใจดี{i % 991}", "สำนักงานจังหวัด",
               "นักจัดการงานทั่วไป", codes[i % len(codes)], str(1 + i % 6)]


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": _XML + f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": _XML + f'<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="บัญชี" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": _XML + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    f'relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_roster_xlsx(drive: Path, rows: int) -> Path:
    """The roster as Excel saves it: shared strings (the words first, then one citizen ID per
    person, in row order), the sheet referring to them; both parts streamed into the zip."""
    path = drive / "roster" / "2563" / "บัญชีกลุ่มเป้าหมาย.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    words: dict[str, int] = {}
    for row in _roster_rows(min(rows, 100_000)):          # every word of every row (they repeat)
        for v in row[2:]:
            words.setdefault(v, len(words))
    for v in ["บัญชีกลุ่มเป้าหมาย รอบปี 2563", *HEADER]:
        words.setdefault(v, len(words))
    cols = "ABCDEFGHI"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        with zf.open(_member("xl/sharedStrings.xml"), "w", force_zip64=True) as fh:
            fh.write((_XML + f'<sst {_NS} count="{rows * 8 + 10}" uniqueCount="{len(words) + rows}">').encode())
            fh.write("".join(f"<si><t>{escape(w)}</t></si>" for w in words).encode())
            buf = []
            for i in range(1, rows + 1):
                buf.append(f"<si><t>{citizen_id(i)}</t></si>")
                if len(buf) >= 50_000:
                    fh.write("".join(buf).encode())
                    buf = []
            fh.write(("".join(buf) + "</sst>").encode())
        with zf.open(_member("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as fh:
            title = words["บัญชีกลุ่มเป้าหมาย รอบปี 2563"]
            head = "".join(f'<c r="{c}2" t="s"><v>{words[h]}</v></c>' for c, h in zip(cols, HEADER))
            fh.write((_XML + f'<worksheet {_NS}><dimension ref="A1:I{rows + 2}"/><sheetData>'
                      f'<row r="1"><c r="A1" t="s"><v>{title}</v></c></row><row r="2">{head}</row>').encode())
            base, buf = len(words) - 1, []
            for row in _roster_rows(rows):
                r = row[0] + 2
                cells = [f'<c r="A{r}"><v>{row[0]}</v></c><c r="B{r}" t="s"><v>{base + row[0]}</v></c>']
                cells += [f'<c r="{c}{r}" t="s"><v>{words[v]}</v></c>' for c, v in zip(cols[2:], row[2:])]
                buf.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(buf) >= 20_000:
                    fh.write("".join(buf).encode())
                    buf = []
            fh.write(("".join(buf) + "</sheetData></worksheet>").encode())
        for name, text in _PARTS.items():
            zf.writestr(name, text)
    return path


def check(rows: int, work_dir: Path | None = None, xlsx: bool = False, keep: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGSA_MAX_", "DGSA_CHUNK", "DGSA_STREAM"))}
    with tempfile.TemporaryDirectory(prefix="dgsa-memory-", dir=work_dir) as tmp:
        drive = Path(tmp) / "drive"
        path = (write_roster_xlsx if xlsx else write_roster)(drive, rows)
        if keep:
            Path(keep).write_bytes(path.read_bytes())
        file_mb = round(path.stat().st_size / 1e6, 1)
        with db.scratch_database(config.warehouse_url(), "dgsa_memory") as url:
            cmd = ["/usr/bin/time", "-v", str(ROOT / "bin/dgsa-env"), "python", "-m", "dgsa.ingest", "--drive",
                   str(drive)]
            started = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, DGSA_WAREHOUSE_URL=url))
            seconds = time.perf_counter() - started
            if res.returncode:
                raise RuntimeError(res.stderr[-3000:])
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
            cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", res.stderr))
            with db.transaction(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT status, rows_read, rows_loaded, rows_rejected FROM audit.source_file "
                            "WHERE kind = 'roster'")
                ledger = cur.fetchone()
    return {"rows": rows, "format": "xlsx" if xlsx else "csv", "file_mb": file_mb,
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "rows_per_s": round(rows / seconds),
            "peak_rss_mib": round(int(rss.group(1)) / 1024) if rss else None,
            "ledger": dict(zip(("status", "rows_read", "rows_loaded", "rows_rejected"), ledger)),
            "settings": "defaults (no DGSA_MAX_*, DGSA_CHUNK_*, DGSA_STREAM_* set)"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--xlsx", action="store_true", help="the roster as an Excel workbook (shared strings)")
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--keep", type=Path, help="copy the generated roster file here")
    args = parser.parse_args(argv)
    print(json.dumps(check(args.rows, args.work_dir, args.xlsx, args.keep), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
