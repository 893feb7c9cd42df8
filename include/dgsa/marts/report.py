"""Print what the marts say (`make report`): every round's compliance, and the progress.

    python -m dgsa.marts.report                 every round in the marts: compliance per round and
                                                per province (rounds as columns), the progress
                                                (improved / fell back / on track per province and
                                                in total), the latest round's top training needs
    python -m dgsa.marts.report --round 2564    one round in detail (compliance and needs per province)
    python -m dgsa.marts.report --limit 20      at most 20 provinces per table

The queries are include/sql/report/*.sql; no round is named in them or here.
"""
from __future__ import annotations

import argparse

from dgsa.foundation import db
from dgsa.foundation.sqlfiles import read_sql


def _cells(cur) -> tuple[list[str], list[list[str]]]:
    names = [d.name for d in cur.description]
    return names, [["" if v is None else str(v) for v in r] for r in cur.fetchall()]


def _layout(names: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(n), *(len(r[i]) for r in rows)) if rows else len(n) for i, n in enumerate(names)]
    line = lambda cells: "  ".join(c.rjust(w) if c.replace(".", "").isdigit() else c.ljust(w)  # noqa: E731
                                   for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(names), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _table(cur, name: str, **params) -> str:
    cur.execute(read_sql(f"report/{name}.sql"), params)
    return _layout(*_cells(cur))


def _by_round(cur, name: str, keys: int, limit: int, **params) -> str:
    """A query with one row per (key columns, round, values...) laid out with the rounds as columns:
    prov  province  rate 2563  rate 2564 ..."""
    cur.execute(read_sql(f"report/{name}.sql"), params)
    names, rows = _cells(cur)
    values = names[keys + 1:]
    rounds = sorted({r[keys] for r in rows})
    lines: dict[tuple, dict] = {}
    for r in rows:
        lines.setdefault(tuple(r[:keys]), {})[r[keys]] = r[keys + 1:]
    header = names[:keys] + [f"{v} {rnd}" for rnd in rounds for v in values]
    body = [list(k) + [cells.get(rnd, [""] * len(values))[i] for rnd in rounds for i in range(len(values))]
            for k, cells in list(lines.items())[:limit]]
    return _layout(header, body)


def _rounds(cur) -> list[str]:
    """The rounds in the marts, in the order of their windows (ref.round)."""
    cur.execute("SELECT to_regclass('marts.compliance_by_province') IS NOT NULL")
    if not cur.fetchone()[0]:
        return []
    cur.execute("""SELECT round FROM (SELECT DISTINCT round FROM marts.compliance_by_province) c
                   JOIN ref.round r ON r.round_code = c.round ORDER BY r.window_from""")
    return [r[0] for r in cur.fetchall()]


def _has(cur, table: str, column: str) -> bool:
    cur.execute("""SELECT 1 FROM information_schema.columns
                   WHERE table_schema = 'marts' AND table_name = %s AND column_name = %s""", (table, column))
    return cur.fetchone() is not None


def overview(cur, rounds: list[str], limit: int) -> list[str]:
    latest = rounds[-1]
    parts = [f"DG-SA rounds {', '.join(rounds)}: compliance of all provinces per round (marts.compliance_by_province)",
             _table(cur, "compliance_by_round", rounds=rounds),
             "", "Compliance rate and share meeting every required skill, per province and round "
                 "(marts.compliance_by_province, marts.target_progress)",
             _by_round(cur, "rates_by_province", 2, limit, rounds=rounds)]
    if _has(cur, "person_progress", "change") and _has(cur, "target_progress", "on_track"):
        later = rounds[1:]
        parts += ["", f"Progress to {latest}: people by change since the previous round (marts.person_progress), "
                      "provinces on track to the goal (marts.target_progress)",
                  _table(cur, "progress_by_round", rounds=rounds)]
        if later:
            parts += ["", "Progress per province: improved, fell back, on track (the straight line from the province's "
                          "first assessed round to 1.0 in the goal year)",
                      _by_round(cur, "progress_by_province", 2, limit, rounds=later)]
    else:
        parts += ["", "Progress: marts.person_progress / target_progress.on_track not built yet (run dgsa_marts)"]
    parts += ["", f"Round {latest}: top training needs, seats needed per skill (marts.training_needs)",
              _table(cur, "needs_by_skill", round=latest)]
    return parts


def detail(cur, round_code: str, limit: int) -> list[str]:
    return [f"DG-SA round {round_code}: compliance per province (marts.compliance_by_province)",
            _table(cur, "compliance_by_province", round=round_code, limit=limit),
            "", "All provinces:", _table(cur, "compliance_by_round", rounds=[round_code]),
            "", "Top training needs: seats needed per skill (marts.training_needs)",
            _table(cur, "needs_by_skill", round=round_code),
            "", "Top training need per province: the skill with the most people below target (marts.training_needs)",
            _table(cur, "needs_by_province", round=round_code, limit=limit),
            "", "Provinces furthest from the goal (marts.target_progress)",
            _table(cur, "furthest_from_goal", round=round_code)]


def report(round_code: str | None = None, limit: int = 80) -> str:
    with db.transaction() as conn, conn.cursor() as cur:
        rounds = _rounds(cur)
        if not rounds:
            return "The marts hold no round yet: run the pipeline (make pipeline DRIVE=...)"
        if round_code is not None:
            if round_code not in rounds:
                return f"Round {round_code} is not in the marts (rounds there: {', '.join(rounds)})"
            return "\n".join(detail(cur, round_code, limit))
        return "\n".join(overview(cur, rounds, limit))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--round", help="one round in detail (default: every round, and the progress)")
    parser.add_argument("--limit", type=int, default=80, help="at most this many provinces per table")
    args = parser.parse_args(argv)
    print(report(args.round, args.limit))


if __name__ == "__main__":
    main()
