import datetime as dt

import pytest

from dgsa.ingest import normalise as N
from dgsa.foundation.pii import mask_citizen_id
from dgsa_tools.sample.vocab import citizen_id as make_cid, dashed

import random

CID = make_cid(random.Random(7))          # synthetic, valid check digit
D = dt.date(2020, 10, 30)


def bad(code, fn, *args):
    with pytest.raises(N.Bad) as exc:
        fn(*args)
    assert exc.value.code == code


def test_citizen_id_shapes():
    assert N.citizen_id(CID) == CID
    assert N.citizen_id(dashed(CID)) == CID
    assert N.citizen_id(" ".join(CID)) == CID
    assert N.citizen_id(float(CID)) == CID                      # typed as a number in Excel
    assert N.citizen_id(int(CID)) == CID
    assert N.citizen_id("'" + CID) == CID                        # Excel's text-prefix apostrophe
    assert N.citizen_id(CID.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))) == CID


def test_citizen_id_rejections():
    wrong = CID[:12] + str((int(CID[12]) + 1) % 10)
    bad("CID_CHECK_DIGIT", N.citizen_id, wrong)
    bad("CID_FORMAT", N.citizen_id, CID[:12])
    bad("CID_PRECISION_LOST", N.citizen_id, "1.23457E+12")
    bad("CID_PRECISION_LOST", N.citizen_id, 1.5)
    bad("CID_MISSING", N.citizen_id, None)
    bad("CID_CHECK_DIGIT", N.citizen_id, "0" + CID[1:])          # never starts with 0


def test_mask_shows_only_last_three_digits():
    masked = mask_citizen_id(CID)
    assert masked == f"x-xxxx-xxxxx-{CID[10:12]}-{CID[12]}"
    assert CID[:10] not in masked


@pytest.mark.parametrize("value", [
    "30/10/2563", "30/10/63", "2020-10-30", "30/10/2020", "30 ต.ค. 63", "30 ตุลาคม 2563", "๓๐ ต.ค. ๒๕๖๓",
    "30 ต.ค. 2563", "2563-10-30", "30-10-2563", 44134, 44134.0, "44134", dt.datetime(2020, 10, 30, 9, 0), D,
    "2020-10-30 00:00:00", "30 Oct 2020", "30-ต.ค.-63", "30/10/2563 00:00", "30-Oct-2020", "วันที่ 30 ต.ค. 2563",
    "30 ต.ค. พ.ศ. 2563"])
def test_dates(value):
    assert N.date(value) == D


@pytest.mark.parametrize("value", ["31/02/2563", "30/13/2563", "not a date", "32 ต.ค. 63"])
def test_impossible_dates_are_rejected(value):
    bad("DATE_INVALID", N.date, value)


def test_levels():
    for v in ("2", "๒", 2, 2.0, "Developing", "developing", " DEVELOPING ", "กำลังพัฒนา", "กำลัง พัฒนา"):
        assert N.level(v, "ocsc-2561") == 2
    assert N.level(None, "ocsc-2561") is None and N.level("", "ocsc-2561") is None
    assert N.level("เชี่ยวชาญ", "ocsc-2561") == 4
    bad("LEVEL_UNKNOWN", N.level, "5", "ocsc-2561")
    bad("LEVEL_UNKNOWN", N.level, "expert", "ocsc-2561")


def test_groups():
    for v in ("4", "๔", "TEC", "tec", "Technology", "TECHNOLOGY", "กลุ่มผู้ปฏิบัติงานเฉพาะด้านเทคโนโลยีดิจิทัล",
              "ผู้ปฏิบัติงานเฉพาะด้านเทคโนโลยีดิจิทัล"):
        assert N.group(v) == "TEC"
    assert N.group("กลุ่มผู้อำนวยการกอง") == "MGT" and N.group("ผู้บริหารระดับสูง") == "EXE"
    bad("GROUP_UNKNOWN", N.group, "7")
    bad("GROUP_MISSING", N.group, None)


@pytest.mark.parametrize("value", ["✓", "✔", "/", "Y", "y", "yes", "YES", "true", "True", "1", "๑", "ลงนามแล้ว", "ลงนาม"])
def test_yes(value):
    assert N.yes_no(value) is True


@pytest.mark.parametrize("value", ["✗", "x", "X", "N", "no", "false", "0", "๐", "ยังไม่ลงนาม", "ไม่ได้ลงนาม", "", None])
def test_no(value):
    assert N.yes_no(value) is False


def test_yes_no_other_is_rejected():
    bad("SIGNED_UNKNOWN", N.yes_no, "maybe")


def test_provinces():
    assert N.province("50") == N.province("เชียงใหม่") == N.province("Chiang Mai") == N.province("TH-50") == "50"
    assert N.province("จังหวัดเชียงใหม่") == "50"
    bad("PROVINCE_UNKNOWN", N.province, "Atlantis")
    assert N.province_from_folder("50-เชียงใหม่") == "50"
    assert N.province_from_folder("๓๘ บึงกาฬ") == "38"
    assert N.province_from_folder("28-nowhere") is None          # codes are not contiguous
    assert N.province_from_folder("เชียงใหม่") is None
    assert N.province_from_folder("500-x") is None


def test_names():
    assert N.split_title("นายสมชาย") == ("นาย", "สมชาย")
    assert N.split_title("นางสาวสมหญิง") == ("นางสาว", "สมหญิง")
    assert N.split_title("ว่าที่ร้อยตรีสมศักดิ์") == ("ว่าที่ร้อยตรี", "สมศักดิ์")
    assert N.split_title("สมชาย") == (None, "สมชาย")
    assert N.split_full_name("นาย สมชาย  ใจดี") == ("นาย", "สมชาย", "ใจดี")
    assert N.split_full_name("ดร.สมชาย ใจดี") == ("ดร.", "สมชาย", "ใจดี")


def test_formula_safe():
    assert N.formula_safe("=1+1") == "'=1+1" and N.formula_safe("@x") == "'@x" and N.formula_safe("ok") == "ok"
