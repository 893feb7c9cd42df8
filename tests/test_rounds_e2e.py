"""Three rounds through the real DAGs (`airflow dags test`), in order, on a drive that grows as a
real one does (issue 18, "Done means"): the generator writes the drive as it stands after 2563,
dgsa_ingest runs; the drive after 2564 (written into the same folder: provinces that reuse
last year's file names replace those files), dgsa_ingest runs; the same for 2565.

Every progress figure (marts.person_progress per person, marts.target_progress per round and
province) is checked against values computed here from the generator's plan, by the domain
spec's rules, not read back from the marts and not by re-running the marts' SQL. So is every
person's compliance status in every round, after the last run: a 2564 file saved under last
year's name must not erase anyone's 2563 result.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction


from dgsa.foundation import config
from dgsa.foundation.pii import person_key
from dgsa_tools.sample import generator as sample
from dgsa_tools.sample.rounds import by_round

ROUNDS = ["2563", "2564", "2565"]
PEOPLE, SEED = 300, 18


def _levels(skills: dict, codes: list[str]) -> dict:
    return {c: skills.get(c) or 0 for c in codes}      # a blank or missing skill counts as level 0


def expected_progress(plans: dict[str, dict]) -> tuple[dict, dict]:
    """From the plan alone: ({(round, person_key): person_progress row}, {(round, province): target_progress})."""
    secret = config.person_key_secret()
    cfgs = [c for c in config.rounds() if c["round"] in plans]
    order = [c["round"] for c in config.rounds()]
    current = {}                  # round -> citizen_id -> skills of the person's (single) loaded row
    for r, plan in plans.items():
        current[r] = {p["citizen_id"]: p["skills"] for p in plan["roster"] + plan["not_on_list"]
                      if p["outcome"] != "MISSING"}
    people, provinces = {}, {}
    for cfg in cfgs:
        r, target = cfg["round"], int(cfg["target_level"])
        targets = config.frameworks()[cfg["framework_version"]]["targets"]
        prev = order[order.index(r) - 1] if order.index(r) > 0 else None
        changes = Counter()
        for p in plans[r]["roster"]:
            required = targets[p["assigned_group"]]
            now = current[r].get(p["citizen_id"])
            before = current.get(prev, {}).get(p["citizen_id"]) if prev else None
            met = lambda skills: None if skills is None else sum(  # noqa: E731
                v >= target for v in _levels(skills, required).values())
            if now is None:
                change = "NOT_ASSESSED"
            elif before is None:
                change = "FIRST_ASSESSMENT"
            else:
                a, b = _levels(before, required), _levels(now, required)
                rose, fell = any(b[c] > a[c] for c in required), any(b[c] < a[c] for c in required)
                change = {(True, False): "IMPROVED", (False, True): "FELL_BACK", (True, True): "MIXED",
                          (False, False): "UNCHANGED"}[(rose, fell)]
            if prev:
                people[(r, person_key(p["citizen_id"], secret))] = {
                    "previous_round": prev, "province_code": p["province_code"],
                    "assigned_group": p["assigned_group"], "skills_required": len(required),
                    "skills_met_now": met(now), "skills_met_before": met(before), "change": change}
                changes[(p["province_code"], change)] += 1
            meets = now is not None and met(now) == len(required)
            cell = provinces.setdefault((r, p["province_code"]), {"assessed": 0, "meeting": 0})
            cell["assessed"] += now is not None
            cell["meeting"] += meets
        for prov in config.provinces():
            cell = provinces.setdefault((r, prov["province_code"]), {"assessed": 0, "meeting": 0})
            cell["improved"] = changes[(prov["province_code"], "IMPROVED")] if prev else None
            cell["fell_back"] = changes[(prov["province_code"], "FELL_BACK")] if prev else None
    # on track: the straight line from the province's first assessed round to 1.0 in the goal year
    for prov in config.provinces():
        first = None
        for cfg in cfgs:
            cell = provinces[(cfg["round"], prov["province_code"])]
            share = Fraction(cell["meeting"], cell["assessed"]) if cell["assessed"] else None
            cell["share"] = share
            if share is None or first is None:
                cell["on_track"] = None
                if share is not None:
                    first = (int(cfg["round"]), share)
                continue
            r0, s0 = first
            year, goal = int(cfg["round"]), int(cfg["goal_year"])
            line = Fraction(1) if year >= goal else min(Fraction(1), s0 + (1 - s0) * Fraction(year - r0, goal - r0))
            cell["on_track"] = share >= line
    return people, provinces


def test_three_rounds_through_airflow(tmp_path, run_dag, sql, monkeypatch):
    drive = tmp_path / "drive"
    monkeypatch.setenv("DGSA_LOAD_TASKS", "2")      # 77 provinces with new files every round: two load tasks
    # the nightly ingest once per round on the drive as it stands; the marts (rebuilt whole from the
    # core every time) once at the end: the figures of every round are checked there
    for r, dag_id in [(r, "dgsa_ingest") for r in ROUNDS] + [(ROUNDS[-1], "dgsa_marts")]:
        plan = sample.generate(drive, PEOPLE, SEED, rounds=ROUNDS, until=r)
        monkeypatch.setenv("DGSA_RUN_DAG_LOG", str(drive.parent / f"{dag_id}-{r}.log"))   # not shared with others
        result = run_dag(dag_id, drive)
        assert result.returncode == 0, f"round {r}, {dag_id}:\n" + result.stdout[-3000:] + result.stderr[-5000:]
    plans = by_round(plan)
    assert list(plans) == ROUNDS

    # the drive grew as a real one does: names reused, a version per round, each in force for its round
    assert plan["reused"], "no province reused its file names"
    for rel, rounds in plan["reused"].items():
        versions = sql("SELECT round_code, file_id FROM audit.version_in_force WHERE rel_path = %s", (rel,))
        assert {rc for rc, _ in versions} == set(rounds), rel
        assert len({f for _, f in versions}) == len(rounds), rel
    ledger = sql("SELECT rows_read, rows_loaded, rows_rejected, rows_skipped FROM audit.source_file")
    assert all(read == lo + rj + sk for read, lo, rj, sk in ledger)

    # every person's status in every round is the planned one (2563's too, after 2564 and 2565
    # files were saved under its names)
    secret = config.person_key_secret()
    got = Counter()
    for r, key, status in sql("SELECT round, person_key, status FROM marts.compliance_person"):
        got[(r, key, status)] += 1
    want = Counter((r, person_key(p["citizen_id"], secret), p["outcome"])
                   for r, pl in plans.items() for p in pl["roster"] + pl["not_on_list"])
    assert got == want

    people, provinces = expected_progress(plans)
    # the drive holds every case of the spec (else this test proves less than it says)
    assert {v["change"] for v in people.values()} == {"IMPROVED", "FELL_BACK", "MIXED", "UNCHANGED",
                                                      "FIRST_ASSESSMENT", "NOT_ASSESSED"}
    assert Counter(v["change"] for v in people.values()).most_common(1)[0][0] == "IMPROVED"
    for r in ROUNDS[1:]:
        assert all(plans[r]["moves"][k] > 0 for k in ("left", "transferred", "regrouped", "joined")), r

    # marts.person_progress: one row per person on a later round's list, every column as computed here
    rows = sql("""SELECT round, person_key, previous_round, province_code, assigned_group, skills_required,
                         skills_met_now, skills_met_before, change FROM marts.person_progress""")
    got = {}
    for r, key, *cols in rows:
        assert (r, key) not in got, (r, key)
        got[(r, key)] = dict(zip(["previous_round", "province_code", "assigned_group", "skills_required",
                                  "skills_met_now", "skills_met_before", "change"], cols))
    assert set(got) == set(people)
    wrong = {k: (got[k], v) for k, v in people.items() if got[k] != v}
    assert not wrong, f"{len(wrong)} of {len(people)} person_progress rows differ, e.g. {next(iter(wrong.values()))}"

    # marts.target_progress: every round x province, every figure as computed here
    rows = sql("""SELECT round, province_code, people_assessed, people_meeting_all, share_meeting_all,
                         people_improved, people_fell_back, on_track FROM marts.target_progress""")
    assert {(r, p) for r, p, *_ in rows} == set(provinces)
    for r, prov, assessed, meeting, share, improved, fell_back, on_track in rows:
        want = provinces[(r, prov)]
        assert (assessed, meeting) == (want["assessed"], want["meeting"]), (r, prov)
        if want["share"] is None:
            assert share is None, (r, prov)
        else:
            assert abs(float(share) - float(want["share"])) <= 5e-5, (r, prov)      # 4 decimals
        if want["improved"] is None:          # the first round: nothing to compare with
            assert improved in (None, 0) and fell_back in (None, 0), (r, prov)
        else:
            assert (improved, fell_back) == (want["improved"], want["fell_back"]), (r, prov)
        assert on_track is want["on_track"], (r, prov, share, on_track, want)
    verdicts = Counter(v["on_track"] for v in provinces.values())
    assert verdicts[True] and verdicts[False], verdicts         # both verdicts are exercised

    # make report: every round, and the progress totals as computed here
    from dgsa.marts import report
    text = report.report(limit=80).splitlines()
    assert text[0].startswith(f"DG-SA rounds {', '.join(ROUNDS)}")
    table = text[text.index(next(t for t in text if t.startswith("Progress to"))) + 3:]
    for r in ROUNDS[1:]:
        cells = next(t for t in table if t.split()[:2] == [r, ROUNDS[ROUNDS.index(r) - 1]]).split()
        changes = Counter(v["change"] for (rnd, _), v in people.items() if rnd == r)
        assert [int(c) for c in cells[5:11]] == [changes[c] for c in ("IMPROVED", "FELL_BACK", "MIXED", "UNCHANGED",
                                                                   "FIRST_ASSESSMENT", "NOT_ASSESSED")], r
        assert [int(c) for c in cells[11:13]] == [sum(provinces[(r, p["province_code"])]["on_track"] is v
                                                      for p in config.provinces()) for v in (True, False)], r
