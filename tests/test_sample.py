import json

from dgsa.foundation import config
from dgsa_tools.sample import generator as sample, people as sample_people
from dgsa.ingest.normalise import citizen_id


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


def _digest(root):
    import hashlib
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    sample.generate(tmp_path / "a", 300, seed=5, bad_share=0.05)
    sample.generate(tmp_path / "b", 300, seed=5, bad_share=0.05)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_bad_share_and_formats(tmp_path):
    from dgsa.ingest import readers
    exp = sample.generate(tmp_path / "d", 3000, seed=11, bad_share=0.05)
    bad = sum(exp["bad_rows"].values())
    planned = sum(len(v) for v in exp["rejections"].values())
    assert bad == planned and 0.02 < bad / exp["data_rows"] < 0.09
    assert exp["data_rows"] == sum(exp["rows"].values())
    formats = [f.rsplit(".", 1)[1] for f in exp["files"]]
    assert 0.5 < formats.count("xlsx") / len(formats) < 0.9 and "csv" in formats
    # every province has files; the big ones several; rows are where the plan says
    assert len({f.split("/")[1] for f in exp["files"]}) == 77
    person = next(p for p in exp["roster"] if p["file"].endswith(".xlsx"))
    grid = readers.read(tmp_path / "d" / person["file"]).sheets[0].rows
    row = grid[person["source_row"] - 1]
    assert str(row[1]).replace("-", "") == person["citizen_id"] and row[3] == person["first_name"]
    bad_file, bad_rows = next(iter(exp["rejections"].items()))
    assert all(r[1] in sample_people.BAD_KINDS for r in bad_rows)


def test_summary_for_big_drives(tmp_path):
    exp = sample.generate(tmp_path / "d", 500, seed=2, expected="summary")
    assert "roster" not in exp and exp["roster_rows"] == 500
    assert sum(n for o in exp["outcomes"].values() for k, n in o.items() if k != "NOT_ON_LIST") == 500
    assert json.loads((tmp_path / "d.expected.json").read_text())["expected"] == "summary"
