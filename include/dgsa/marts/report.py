"""Print what the marts say: compliance per province and the top training needs.

    python -m dgsa.marts.report [--round 2563] [--limit 80]
"""
from __future__ import annotations

import argparse

from dgsa.foundation import db


def _table(cur, sql: str, params=()) -> str:
    cur.execute(sql, params)
    names = [d.name for d in cur.description]
    rows = [["" if v is None else str(v) for v in r] for r in cur.fetchall()]
    widths = [max(len(n), *(len(r[i]) for r in rows)) if rows else len(n) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.rjust(w) if c.replace(".", "").isdigit() else c.ljust(w)  # noqa: E731
                                   for c, w in zip(cells, widths))
    return "\n".join([line(names), line(["-" * w for w in widths])] + [line(r) for r in rows])


def report(round_code: str | None = None, limit: int = 80) -> str:
    with db.transaction() as conn, conn.cursor() as cur:
        if round_code is None:
            cur.execute("SELECT max(round) FROM marts.compliance_by_province")
            round_code = cur.fetchone()[0]
        parts = [f"DG-SA round {round_code}: compliance per province (marts.compliance_by_province)",
                 _table(cur, """SELECT province_code AS prov, province_name_en AS province, on_list, submitted,
                                  compliant, late, unsigned, group_mismatch AS grp_mism, target_mismatch AS tgt_mism,
                                  missing, not_on_list AS not_listed, compliance_rate AS rate
                                FROM marts.compliance_by_province WHERE round = %s AND (on_list > 0 OR not_on_list > 0)
                                ORDER BY province_code LIMIT %s""", (round_code, limit)),
                 "", "All provinces:",
                 _table(cur, """SELECT sum(on_list) AS on_list, sum(submitted) AS submitted, sum(compliant) AS compliant,
                                  sum(late) AS late, sum(unsigned) AS unsigned, sum(group_mismatch) AS grp_mism,
                                  sum(target_mismatch) AS tgt_mism, sum(missing) AS missing,
                                  sum(not_on_list) AS not_listed,
                                  round(sum(compliant)::numeric / nullif(sum(on_list), 0), 4) AS rate
                                FROM marts.compliance_by_province WHERE round = %s""", (round_code,)),
                 "", "Top training needs: seats needed per skill (marts.training_needs)",
                 _table(cur, """SELECT n.skill_code AS skill, s.name_en AS skill_name, sum(n.people_assessed) AS assessed,
                                  sum(n.people_below_target) AS below_target,
                                  round(sum(n.avg_gap * n.people_below_target) / nullif(sum(n.people_below_target), 0), 2)
                                    AS avg_gap
                                FROM marts.training_needs n
                                JOIN ref.round r ON r.round_code = n.round
                                JOIN ref.skill s ON s.framework_version = r.framework_version AND s.skill_code = n.skill_code
                                WHERE n.round = %s GROUP BY 1, 2 ORDER BY below_target DESC""", (round_code,)),
                 "", "Top training need per province: the skill with the most people below target (marts.training_needs)",
                 _table(cur, """SELECT DISTINCT ON (n.province_code) n.province_code AS prov, p.name_en AS province,
                                  n.skill_code AS top_skill, sum(n.people_below_target) AS below_target,
                                  t.total_below AS all_skill_needs
                                FROM marts.training_needs n
                                JOIN ref.province p USING (province_code)
                                JOIN (SELECT province_code, sum(people_below_target) AS total_below
                                      FROM marts.training_needs WHERE round = %s GROUP BY 1) t USING (province_code)
                                WHERE n.round = %s
                                GROUP BY n.province_code, p.name_en, n.skill_code, t.total_below
                                HAVING sum(n.people_below_target) > 0
                                ORDER BY n.province_code, below_target DESC, n.skill_code LIMIT %s""",
                        (round_code, round_code, limit)),
                 "", "Provinces furthest from the goal (marts.target_progress)",
                 _table(cur, """SELECT province_code AS prov, people_assessed AS assessed,
                                  people_meeting_all AS meeting_all, share_meeting_all AS share
                                FROM marts.target_progress WHERE round = %s AND people_assessed > 0
                                ORDER BY share_meeting_all, province_code LIMIT 10""", (round_code,))]
    return "\n".join(parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--round")
    parser.add_argument("--limit", type=int, default=80)
    args = parser.parse_args(argv)
    print(report(args.round, args.limit))


if __name__ == "__main__":
    main()
