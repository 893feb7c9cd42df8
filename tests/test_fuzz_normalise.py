"""Hypothesis: every normaliser returns a value or raises its documented Bad, never another
exception, whatever a cell holds (text with Thai digits, control characters, huge numbers,
NaN, infinities, dates, booleans)."""
from __future__ import annotations

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from dgsa.ingest import headers, normalise
from dgsa.ingest.normalise import Bad

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


@FUZZ
@given(CELLS)
def test_citizen_id(value):
    got = _ok(normalise.citizen_id, value, {"CID_MISSING", "CID_PRECISION_LOST", "CID_FORMAT", "CID_CHECK_DIGIT"})
    if got is not None:
        assert len(got) == 13 and got.isdigit()
    facts = normalise.citizen_id_facts(value)       # what the contract judges: never raises
    assert facts.check_digit_ok in (None, True, False)


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
        _ok(normalise.citizen_id, v, {"CID_MISSING", "CID_PRECISION_LOST", "CID_FORMAT", "CID_CHECK_DIGIT"})
        _ok(normalise.date, v, {"DATE_MISSING", "DATE_INVALID"})
        _ok(normalise.group, v, {"GROUP_MISSING", "GROUP_UNKNOWN"})
        _ok(normalise.yes_no, v, {"SIGNED_UNKNOWN"})
        _ok(lambda x: normalise.level(x, FW), v, {"LEVEL_UNKNOWN"})
