"""Generate a realistic sample shared drive (deterministic for a seed), streaming.

    python -m dgsa_tools.sample --out DIR --people N --seed S [--messy] [--bad-share 0.03] [--expected full|summary]
                                [--rounds 2563,2564,2565 [--until 2564]]

Writes provinces/<NN-ชื่อจังหวัด>/ผลDG-SA*.xlsx|csv for all 77 provinces (on-time submissions
in one file, or split by unit into several when a province has more than 1,000; one file of
late submissions; about 70 % .xlsx, 30 % .csv),
roster/2563/ (one workbook, the whole list), and DIR.expected.json beside the drive: every
person's planned compliance status and skills (or, for big drives, counts), so tests can
check the marts by hand. Citizen IDs are synthetic (valid check digits, never repeated).

--rounds adds later rounds in which people change (dgsa_tools.sample.rounds): a roster per round,
files per round, some provinces reusing last round's file names; --until R writes the drive as
it stands after round R. Without --rounds the drive is the single-round drive, byte for byte.

Memory does not grow with the number of people: people are drawn province by province with
numpy, rows go straight to the files (workbooks through dgsa_tools.sample.xlsx), and only the
expected outcomes of small drives are kept. 2,200,000 people fit in a few hundred MB.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from dgsa.foundation import config
from dgsa_tools.sample import messy as sample_messy
from dgsa_tools.sample import people as sample_people
from dgsa_tools.sample import rounds as sample_rounds
from dgsa_tools.sample.vocab import FULL_EXPECTED_MAX, Drive


def generate(out: Path, people_n: int, seed: int, messy: bool = False, *, bad_share: float = 0.0,
             expected: str | None = None, rounds: list[str] | None = None, until: str | None = None) -> dict:
    """Write the drive under out, streaming (memory does not grow with people_n); returns the
    plan, also written to out.expected.json. expected: "full" (every person with planned
    status, skills, file and row: the default up to FULL_EXPECTED_MAX people) or "summary"
    (counts per province and outcome, rows per file). rounds/until: a multi-round drive
    (dgsa_tools.sample.rounds; the plan of each round in by_round(result))."""
    out = Path(out)
    mode = expected or ("full" if people_n <= FULL_EXPECTED_MAX else "summary")
    round_cfg = config.rounds()[0]
    drive = Drive(out, seed, people_n, round_cfg["round"], mode)
    out.mkdir(parents=True, exist_ok=True)
    later = None
    if rounds:
        cfgs = sample_rounds.pick_rounds(list(rounds), until)
        later = sample_rounds.Later(drive, cfgs[1:], seed, bad_share)
    used = sample_people.write_drive(drive, round_cfg, np.random.default_rng(seed), bad_share, keep_ids=messy,
                                     later=later)
    result = drive.as_dict()
    if later is not None:
        result.update(later.as_dict())
    if messy:
        result["cases"] = sample_messy.add_cases(out, random.Random(seed), used)
    Path(str(out) + ".expected.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--messy", action="store_true", help="add every messy variant and bad case of the spec")
    parser.add_argument("--bad-share", type=float, default=0.0,
                        help="share of extra bad rows (the messy drive's row cases) among submission rows, e.g. 0.03")
    parser.add_argument("--expected", choices=["full", "summary"],
                        help=f"DIR.expected.json with every person (default up to {FULL_EXPECTED_MAX:,}) or counts")
    parser.add_argument("--rounds", type=lambda v: [r.strip() for r in v.split(",") if r.strip()],
                        help="rounds to write, e.g. 2563,2564,2565 (people change from round to round)")
    parser.add_argument("--until", help="write the drive as it stands after this round (one of --rounds)")
    args = parser.parse_args(argv)
    if args.until and not args.rounds:
        parser.error("--until needs --rounds")
    started = time.perf_counter()
    exp = generate(args.out, args.people, args.seed, args.messy, bad_share=args.bad_share, expected=args.expected,
                   rounds=args.rounds, until=args.until)
    for r, plan in sample_rounds.by_round(exp).items() if args.rounds else ():
        moves = ", ".join(f"{n:,} {k}" for k, n in plan.get("moves", {}).items())
        print(f"round {r}: {len(plan['files'])} files, {plan['data_rows']:,} data rows, {plan['roster_rows']:,} "
              f"on the list{'; ' + moves if moves else ''}")
    if args.rounds:
        print(f"{len(exp['reused'])} file names reused across rounds")
    print(f"wrote {len(exp['files'])} submission files ({exp['data_rows']:,} data rows), {exp['people']:,} people "
          f"on the roster, {sum(o.get('NOT_ON_LIST', 0) for o in exp['outcomes'].values()):,} not on the list, "
          f"{sum(exp['bad_rows'].values()):,} bad rows, to {args.out} in {time.perf_counter() - started:.1f} s "
          f"(expected outcomes: {args.out}.expected.json)")


if __name__ == "__main__":
    main()
