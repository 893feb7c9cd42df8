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


# ---------------------------------------------------------------- multi-round drives (--rounds)
ROUNDS = ["2563", "2564", "2565"]


def test_rounds_snapshots_grow_as_a_real_drive(tmp_path):
    """--until R is the drive as it stands after R: the first round is the single-round drive
    byte for byte, and a snapshot shares every file a later round did not rewrite."""
    import os
    from dgsa_tools.sample.rounds import by_round

    sample.generate(tmp_path / "single", 250, seed=7)
    snaps = {r: sample.generate(tmp_path / r, 250, seed=7, rounds=ROUNDS, until=r) for r in ROUNDS}
    stat = lambda root: {k: (v, os.stat(root / k).st_mtime) for k, v in _digest(root).items()}  # noqa: E731
    first = stat(tmp_path / "2563")
    assert first == stat(tmp_path / "single")
    plans = by_round(snaps["2565"])
    assert list(plans) == ROUNDS and snaps["2564"]["until"] == "2564" and list(by_round(snaps["2564"])) == ROUNDS[:2]
    for before, after in zip(ROUNDS, ROUNDS[1:]):
        old, new = stat(tmp_path / before), stat(tmp_path / after)
        rewritten = set(plans[after]["files"])
        assert all(new[k] == v for k, v in old.items() if k not in rewritten)
        reused = [k for k in old if k in rewritten]
        assert reused and all(new[k] != old[k] for k in reused)          # names reused, content of the new round
        assert (tmp_path / after / "roster" / after).is_dir()
    # every reused path was written in the rounds the plan says, under one province
    assert snaps["2565"]["reused"] and all(len(r) > 1 for r in snaps["2565"]["reused"].values())


def test_rounds_people_change(tmp_path):
    from dgsa.ingest import readers
    from dgsa_tools.sample.rounds import by_round

    plan = sample.generate(tmp_path / "d", 600, seed=3, rounds=ROUNDS)
    plans = by_round(plan)
    cfg = {r["round"]: r for r in config.rounds()}
    for before, after in zip(ROUNDS, ROUNDS[1:]):
        old = {p["citizen_id"]: p for p in plans[before]["roster"]}
        new = {p["citizen_id"]: p for p in plans[after]["roster"]}
        moves = plans[after]["moves"]
        assert len(set(old) - set(new)) == moves["left"] > 0
        assert len(set(new) - set(old)) == moves["joined"] > 0
        both = set(old) & set(new)
        assert sum(old[c]["province_code"] != new[c]["province_code"] for c in both) == moves["transferred"] > 0
        assert sum(old[c]["assigned_group"] != new[c]["assigned_group"] for c in both) == moves["regrouped"] > 0
        up = down = 0
        for c in both:
            a, b = old[c]["skills"], new[c]["skills"]
            up += any((b[k] or 0) > (a[k] or 0) for k in a)
            down += any((b[k] or 0) < (a[k] or 0) for k in a)
        assert up > 2 * down > 0                                          # most improve, some fall back
    for r, pl in plans.items():
        c = cfg[r]
        assessed = [p for p in pl["roster"] + pl["not_on_list"] if p["outcome"] != "MISSING"]
        assert assessed and all(c["window_from"].isoformat() <= p["assessed_on"] <= c["window_to"].isoformat()
                                for p in assessed), r
        for rel in pl["files"]:
            # each round's files: on time before its deadline, the late ones after it
            late = "เพิ่มเติม" in rel
            got = (tmp_path / "d" / rel).stat().st_mtime
            if rel not in plan["reused"] or plan["reused"][rel][-1] == r:
                assert (got > c["deadline_at"].timestamp()) == late, (r, rel)
    # the final drive holds the newest round's rows under a reused name
    rel = next(k for k, v in plan["reused"].items() if v[-1] == ROUNDS[-1] and k.endswith("รอบ1.xlsx"))
    person = next(p for p in plans[ROUNDS[-1]]["roster"] if p["file"] == rel)
    row = readers.read(tmp_path / "d" / rel).sheets[0].rows[person["source_row"] - 1]
    assert str(row[1]).replace("-", "") == person["citizen_id"]
    seen, listed_before = set(), set()
    for r, pl in plans.items():                                      # nobody new reuses an ID
        listed = {p["citizen_id"] for p in pl["roster"]}
        extras = [p["citizen_id"] for p in pl["not_on_list"]]
        assert (listed - listed_before).isdisjoint(seen) and len(set(extras)) == len(extras)
        assert set(extras).isdisjoint(seen | listed)
        seen |= listed | set(extras)
        listed_before = listed


def test_rounds_need_the_first_round(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="must start with"):
        sample.generate(tmp_path / "d", 100, seed=1, rounds=["2564", "2565"])
    with pytest.raises(SystemExit, match="--until"):
        sample.generate(tmp_path / "d", 100, seed=1, rounds=ROUNDS, until="2566")
