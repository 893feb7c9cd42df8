"""Hypothesis, on the functions the loader really calls while typing (dgsa.ingest.rows): the
citizen-ID facts of a whole column (rows._cid_facts: a fast path for the common shapes, numpy
check digits, the general normaliser for the rest) agree with the general normaliser cell by
cell; the lenient wrappers (rows.lenient, rows._date_or_none) return a value, the cell's text
or None, never raise; RowTyper.type_rows types any grid under a real header without raising,
one value per data row in every column. And every normaliser they wrap returns a value or
raises its documented Bad, whatever a cell holds (text with Thai digits, control characters,
huge numbers, NaN, infinities, dates, booleans)."""
from __future__ import annotations

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from dgsa.foundation import config
from dgsa.ingest import headers, normalise, rows
from dgsa.ingest.normalise import Bad

from helpers import SUB_HEADER

FW = "ocsc-2561"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text that looks like what provinces type, plus anything at all
THAI = "กขคงจฉชซญฎฐณดตถทธนบปผพฟภมยรลวศษสหฬอฮะัาำิีึืุูเแโใไ็่้๊๋์ๆฯ"
PIECES = st.sampled_from(["/", "-", ".", " ", "๑", "๒", "๕", "๖", "๓", "2563", "63", "2020", "10", "31", "0",
                          "ต.ค.", "ตุลาคม", "Oct", "พ.ศ.", "วันที่", "e+12", "E", "'", "ลงนาม", "กลุ่มที่",
                          "Developing", "กำลังพัฒนา", "\u200b", "\ufeff", "\x00", "\t", "\n", "（", "）", "(", ")",
                          "1.23E+12", "9" * 40, "-0", "nan", "inf"])
TEXTISH = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=THAI + "0123456789๐๑๒๓๔๕๖๗๘๙ ./-:'", max_size=30),
    st.lists(PIECES, max_size=8).map("".join),
)
CELLS = st.one_of(
    st.none(), st.booleans(), TEXTISH,
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(), st.datetimes(),
)


def _ok(fn, value, codes: set[str]):
    try:
        return fn(value)
    except Bad as bad:
        assert bad.code in codes, (fn.__name__, value, bad.code)
        return None


# citizen IDs as provinces type them: 13 digits (valid or not), dashed, spaced, Thai digits
DIGITS13 = st.text(alphabet="0123456789", min_size=13, max_size=13)
CID_CELLS = st.one_of(
    CELLS, DIGITS13,
    DIGITS13.map(lambda c: f"{c[0]}-{c[1:5]}-{c[5:10]}-{c[10:12]}-{c[12]}"),
    DIGITS13.map(lambda c: " ".join(c)), DIGITS13.map(lambda c: c.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))),
    DIGITS13.map(int), DIGITS13.map(lambda c: "'" + c),
)


@FUZZ
@given(st.lists(CID_CELLS, max_size=12))
def test_citizen_id_facts_of_a_column_agree_with_the_normaliser(column):
    """rows._cid_facts (what the loader computes) == normalise.citizen_id_facts, cell by cell."""
    facts = rows._cid_facts(column)
    assert all(len(v) == len(column) for v in facts.values())
    for i, value in enumerate(column):
        general = normalise.citizen_id_facts(value)
        got = (facts["citizen_id_text"][i], facts["citizen_id_rounded"][i], facts["citizen_id"][i],
               facts["citizen_id_check_digit_ok"][i])
        assert got == (general.text, general.rounded, general.compact, general.check_digit_ok), value


LENIENT = [(normalise.level, (FW,)), (normalise.group, ()), (normalise.yes_no, ()), (normalise.province, ())]


@FUZZ
@given(CELLS)
def test_the_loaders_lenient_typing_never_raises(value):
    """rows.lenient(fn): the normalised value, else the cell's own text (the suite refuses it)."""
    for fn, args in LENIENT:
        got = rows.lenient(fn, *args)(value)
        try:
            expected = fn(value, *args)
        except Bad:
            expected = normalise.text(value)
        assert got == expected, (fn.__name__, value)
    day = rows._date_or_none(value)
    assert day is None or isinstance(day, dt.date)


@FUZZ
@given(st.lists(st.lists(CELLS, max_size=len(SUB_HEADER) + 2), min_size=1, max_size=8))
def test_type_rows_types_any_grid_under_a_real_header(data):
    """The loader's whole typing path (rows.type_grid -> RowTyper.type_rows) on any cells."""
    grid = [["ผลการประเมิน"], list(SUB_HEADER)] + data
    match = headers.find_header(grid, FW)
    assert match is not None and match.row_index == 1
    typer = rows.RowTyper("submission", match, grid[1], file_id=1, folder_province="50",
                          received_at=dt.datetime(2020, 10, 20, tzinfo=config.BANGKOK), framework_version=FW)
    typed = rows.type_grid(grid, match, typer)
    assert typed.rows_read == len(typed.raw_json) - 2 and typed.rows_read >= typed.data_rows
    if typed.columns is not None:
        assert {len(v) for v in typed.columns.values()} == {typed.data_rows}
        assert all(d is None or isinstance(d, dt.date) for d in typed.columns["assessed_on"])


@FUZZ
@given(CELLS)
def test_date(value):
    got = _ok(normalise.date, value, {"DATE_MISSING", "DATE_INVALID"})
    assert got is None or isinstance(got, dt.date)


@FUZZ
@given(st.integers(min_value=1, max_value=31), st.integers(min_value=1, max_value=12),
       st.integers(min_value=0, max_value=9999), st.sampled_from(["/", "-", ".", " "]))
def test_date_numeric_shapes(d, m, y, sep):
    got = _ok(normalise.date, f"{d}{sep}{m}{sep}{y}", {"DATE_INVALID"})
    assert got is None or isinstance(got, dt.date)


@FUZZ
@given(CELLS)
def test_level(value):
    got = _ok(lambda v: normalise.level(v, FW), value, {"LEVEL_UNKNOWN"})
    assert got is None or isinstance(got, int)


@FUZZ
@given(CELLS)
def test_group(value):
    got = _ok(normalise.group, value, {"GROUP_MISSING", "GROUP_UNKNOWN"})
    assert got is None or isinstance(got, str)


@FUZZ
@given(CELLS)
def test_yes_no(value):
    got = _ok(normalise.yes_no, value, {"SIGNED_UNKNOWN"})
    assert got in (None, True, False)


@FUZZ
@given(CELLS)
def test_province(value):
    got = _ok(normalise.province, value, {"PROVINCE_UNKNOWN"})
    assert got is None or (len(got) == 2 and got.isdigit())


@FUZZ
@given(TEXTISH)
def test_province_from_folder(name):
    got = normalise.province_from_folder(name)
    assert got is None or (len(got) == 2 and got.isdigit())


@FUZZ
@given(CELLS)
def test_text_key_names(value):
    t = normalise.text(value)
    assert t is None or (isinstance(t, str) and t == t.strip() and t)
    assert isinstance(normalise.key(value), str)
    title, first, last = normalise.split_full_name(t)
    assert first is None or isinstance(first, str)
    safe = normalise.formula_safe(t)
    assert safe is None or safe[0] not in "=+-@\t\r"


@FUZZ
@given(CELLS)
def test_header_keys(value):
    assert isinstance(headers.norm_header(value), str)
    got = headers.match_header(value, FW)
    assert got is None or isinstance(got, str)


@FUZZ
@given(st.lists(st.lists(CELLS, max_size=12), max_size=18))
def test_find_header_on_any_grid(rows):
    match = headers.find_header(rows, FW)
    if match is not None:
        assert "citizen_id" in match.columns and match.row_index < headers.HEADER_SCAN_ROWS


def test_examples_that_once_looked_dangerous():
    """Kept as plain cases: NaN and infinities, a 40-digit number, Thai digits, NUL."""
    for v in (math.nan, math.inf, -math.inf, 10 ** 40, float(10 ** 20), "๑๒๓", "\x00", "1.23E+12", True):
        assert rows._cid_facts([v])["citizen_id_check_digit_ok"] == [normalise.citizen_id_facts(v).check_digit_ok]
        _ok(normalise.date, v, {"DATE_MISSING", "DATE_INVALID"})
        _ok(normalise.group, v, {"GROUP_MISSING", "GROUP_UNKNOWN"})
        _ok(normalise.yes_no, v, {"SIGNED_UNKNOWN"})
        _ok(lambda x: normalise.level(x, FW), v, {"LEVEL_UNKNOWN"})
