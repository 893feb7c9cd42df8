"""Mart invariants on generated drives of several seeds (clean and messy)."""
import pytest

from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa_tools.sample import generator as sample


@pytest.mark.parametrize("seed,messy", [(1, False), (2, True), (3, False)])
def test_invariants(tmp_path, warehouse, sql, seed, messy):
    expected = sample.generate(tmp_path / "d", 300, seed=seed, messy=messy)
    ingest.run_all(tmp_path / "d", url=warehouse)
    marts.build(warehouse)
    assert sql("""SELECT count(*) FROM marts.compliance_by_province
                  WHERE on_list <> compliant + late + unsigned + group_mismatch + target_mismatch + missing""") == [(0,)]
    # every roster person exactly once in compliance_person
    assert sql("""SELECT count(*) FROM core.current_roster r
                  LEFT JOIN marts.compliance_person c ON c.round = r.round_code AND c.person_key = r.person_key
                  GROUP BY r.citizen_id HAVING count(c.*) <> 1""") == []
    assert sql("SELECT count(*) FROM marts.compliance_person WHERE status <> 'NOT_ON_LIST'") == [
        (len(expected["roster"]),)]
    # nominee rows sum to people_below_target per province, group and skill
    assert sql("""SELECT count(*) FROM marts.training_needs t
                  LEFT JOIN (SELECT round, province_code, target_group, skill_code, count(*) AS n
                             FROM marts.training_nominee GROUP BY 1, 2, 3, 4) n
                  USING (round, province_code, target_group, skill_code)
                  WHERE t.people_below_target <> coalesce(n.n, 0)""") == [(0,)]
    assert sql("SELECT sum(people_below_target) FROM marts.training_needs") == sql(
        "SELECT count(*) FROM marts.training_nominee")
    assert sql("""SELECT count(*) FROM marts.compliance_by_province
                  WHERE compliance_rate < 0 OR compliance_rate > 1""") == [(0,)]
    # the long skill table holds one row per skill column of every current assessment
    assert sql("SELECT count(*) FROM core.current_skill_score WHERE framework_version <> 'ocsc-2561'") == [(0,)]
    assert sql("SELECT count(DISTINCT (round_code, person_key)) FROM core.current_skill_score") == sql(
        "SELECT count(*) FROM core.current_assessment")
