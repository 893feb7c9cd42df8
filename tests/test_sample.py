import json

from dgsa import config, sample
from dgsa.normalise import citizen_id


def test_deterministic_for_a_seed(tmp_path):
    a = sample.generate(tmp_path / "a", 120, seed=3)
    b = sample.generate(tmp_path / "b", 120, seed=3)
    c = sample.generate(tmp_path / "c", 120, seed=4)
    assert a["roster"] == b["roster"] and a["files"] == b["files"]
    assert a["roster"] != c["roster"]


def test_realistic_drive(tmp_path):
    exp = sample.generate(tmp_path / "d", 400, seed=9)
    folders = sorted(p.name for p in (tmp_path / "d" / "provinces").iterdir())
    assert len(folders) == 77 and folders[0].startswith("10-")
    assert (tmp_path / "d" / "roster" / "2563").is_dir()
    ids = [p["citizen_id"] for p in exp["roster"] + exp["not_on_list"]]
    assert len(set(ids)) == len(ids) and all(citizen_id(i) == i for i in ids)
    outcomes = {p["outcome"] for p in exp["roster"]}
    assert {"COMPLIANT", "LATE", "UNSIGNED", "GROUP_MISMATCH", "MISSING"} <= outcomes
    assert {p["province_code"] for p in exp["roster"]} == {p["province_code"] for p in config.provinces()}
    assert json.loads((tmp_path / "d.expected.json").read_text())["people"] == 400
