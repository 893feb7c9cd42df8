"""The marts on generated drives of several seeds (clean and messy), compared with what the
generator planned (the plan it returns and writes as DIR.expected.json), never with the mart
gate's own rules: every person's status, each province's counts, who needs which training and
by how many levels, and how many listed people were assessed."""
from collections import Counter

import pytest

from dgsa.foundation import config
from dgsa.foundation.pii import person_key
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa_tools.sample import generator as sample

STATUSES = ["COMPLIANT", "LATE", "UNSIGNED", "GROUP_MISMATCH", "TARGET_MISMATCH", "MISSING", "NOT_ON_LIST"]


def _plan(expected: dict) -> dict:
    """What the marts must say, from the plan alone: status per person, nominees with their gap,
    people assessed per province and assigned group."""
    rnd = next(r for r in config.rounds() if r["round"] == expected["round"])
    required = config.frameworks()[rnd["framework_version"]]["targets"]
    people = expected["roster"] + expected["not_on_list"]
    status = {p["citizen_id"]: p["outcome"] for p in people}
    province = {p["citizen_id"]: p["province_code"] for p in people}
    for case in expected.get("cases", []):          # messy files: the people they load are not on the list
        for cid in case.get("loaded") or {}:
            assert cid not in status or status[cid] == "NOT_ON_LIST", "a messy case reuses a listed person"
            status[cid], province[cid] = "NOT_ON_LIST", "50"
    nominees, assessed = {}, Counter()
    for p in expected["roster"]:
        if p["outcome"] == "MISSING":
            continue
        assessed[(p["province_code"], p["assigned_group"])] += 1
        for skill in required[p["assigned_group"]]:
            gap = rnd["target_level"] - (p["skills"].get(skill) or 0)
            if gap > 0:
                nominees[(p["citizen_id"], skill)] = gap
    return {"status": status, "province": province, "nominees": nominees, "assessed": assessed}


@pytest.mark.parametrize("seed,messy", [(1, False), (2, True), (3, False)])
def test_marts_hold_the_generators_plan(tmp_path, warehouse, sql, seed, messy):
    expected = sample.generate(tmp_path / "d", 300, seed=seed, messy=messy)
    ingest.run_all(tmp_path / "d", url=warehouse)
    marts.build(warehouse)
    plan, secret, rnd = _plan(expected), config.person_key_secret(), expected["round"]
    cid_of = {person_key(cid, secret): cid for cid in plan["status"]}
    assert len(cid_of) == len(plan["status"])

    # every person once, with the planned status
    got = dict(sql("SELECT person_key, status FROM marts.compliance_person WHERE round = %s", (rnd,)))
    assert {cid_of.get(k, k): s for k, s in got.items()} == plan["status"]

    # each province's counts, by hand from the plan (the 77 provinces, those with nobody too)
    counts = Counter((plan["province"][cid], s) for cid, s in plan["status"].items())
    rows = sql("""SELECT province_code, on_list, compliant, late, unsigned, group_mismatch, target_mismatch,
                         missing, not_on_list FROM marts.compliance_by_province WHERE round = %s""", (rnd,))
    assert len(rows) == 77
    assert {code: list(n) for code, *n in rows} == {
        code: [sum(counts[(code, s)] for s in STATUSES[:-1])] + [counts[(code, s)] for s in STATUSES]
        for code, *_ in rows}

    # who needs which training, and by how many levels: from the planned skills and the framework
    nominees = sql("SELECT person_key, skill_code, gap FROM marts.training_nominee WHERE round = %s", (rnd,))
    assert {(cid_of[k], skill): gap for k, skill, gap in nominees} == plan["nominees"]
    assert plan["nominees"], "the plan has people below target (the comparison is not vacuous)"

    # training_needs: people assessed per province and assigned group, seats per skill
    needs = sql("""SELECT province_code, target_group, skill_code, people_assessed, people_below_target
                   FROM marts.training_needs WHERE round = %s""", (rnd,))
    groups = {p["citizen_id"]: p["assigned_group"] for p in expected["roster"]}
    below_by_group = Counter((plan["province"][cid], groups[cid], skill) for cid, skill in plan["nominees"])
    for code, group, skill, n_assessed, n_below in needs:
        assert n_assessed == plan["assessed"][(code, group)], (code, group)
        assert n_below == below_by_group[(code, group, skill)], (code, group, skill)
    assert sum(n for *_, n in needs) == len(plan["nominees"])
