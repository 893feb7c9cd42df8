"""Multi-round sample drives: `python -m dgsa_tools.sample --rounds 2563,2564,2565 [--until 2564]`.

The first round is the single-round drive, byte for byte (dgsa_tools.sample.people, same seed).
Every later round is drawn from the one before (dgsa_tools.sample.changes: people improve,
fall back, leave, join, transfer, change group), province by province right after that
province's first round, so memory stays bounded by a province, not by the drive. Each round
has its own roster (roster/<round>/บัญชีกลุ่มเป้าหมาย.xlsx), its files are dated around that
round's deadline (on time, and a file of late submissions after it), and assessment dates lie
in that round's window.

File names: most provinces name a round's files after the round (ผลDG-SA 2564.xlsx); a share
of them (REUSE_SHARE, and always the second province of the list) save the new round under
last round's names (ผลDG-SA รอบ1.xlsx), replacing the older file on the drive. So the drive of
a round is a snapshot in time: --until R writes the drive as it stands after round R. Each
province × round draws from its own random stream, so the files two snapshots share are
byte-identical: run the pipeline on --until 2563, regenerate --until 2564 into the same folder,
run again, and the pipeline sees what a real drive would have shown it.

The plan (DIR.expected.json) keeps the first round where it always was (roster, not_on_list,
files, ...) and adds rounds, until, later = {round: the same keys for that round} and reused =
{path: [rounds it was written in]}; by_round(plan) gives {round: plan of that round}.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from dgsa.foundation import config
from dgsa_tools.sample import changes
from dgsa_tools.sample.people import EXCEL_ROWS, FILE_ROWS, ROSTER_HEADER, _file, _Sheet
from dgsa_tools.sample.vocab import GROUPS, HEADERS_TH, OUTCOME_WEIGHTS, OUTCOMES, TAIL_TH, Drive, _p

REUSE_SHARE = 0.3
REUSING_PROVINCE = 1            # index in the province list: at least one province always reuses its names
_ROUND_IDS, _PROVINCE_IDS = 10**9, 10**7     # fresh people's ID index: round k, province i (the first round < 10**7)


def pick_rounds(rounds: list[str], until: str | None = None) -> list[dict]:
    """The configured rounds named (the first must be the first configured round), up to until."""
    known = {r["round"]: r for r in config.rounds()}
    order = [r["round"] for r in config.rounds()]
    unknown = [r for r in rounds if r not in known]
    if unknown:
        raise SystemExit(f"--rounds: {', '.join(unknown)} not in rounds.yaml (known: {', '.join(order)})")
    if rounds[0] != order[0] or [order.index(r) for r in rounds] != sorted({order.index(r) for r in rounds}):
        raise SystemExit(f"--rounds must start with {order[0]} and go forward in time: got {','.join(rounds)}")
    if until is not None and until not in rounds:
        raise SystemExit(f"--until {until} is not one of --rounds {','.join(rounds)}")
    last = rounds.index(until) if until else len(rounds) - 1
    return [known[r] for r in rounds[:last + 1]]


def by_round(plan: dict) -> dict[str, dict]:
    """{round: that round's plan} for a plan written with or without --rounds."""
    return {plan["round"]: plan, **plan.get("later", {})}


class Later:
    """The rounds after the first, fed one province at a time by people.write_drive."""

    def __init__(self, first: Drive, cfgs: list[dict], seed: int, bad_share: float):
        self.first, self.cfgs, self.seed, self.bad_share = first, cfgs, seed, bad_share
        self.provinces = config.provinces()
        self.group_no = {g["code"]: g["group_no"] for g in config.target_groups()}
        self.drives = {c["round"]: Drive(first.out, seed, 0, c["round"], first.mode) for c in cfgs}
        self.incoming: dict[tuple[int, int], list[dict]] = {}
        self.written: dict[str, list[str]] = {}      # reusing provinces: path -> rounds written in
        self.moves = {c["round"]: {"left": 0, "transferred": 0, "regrouped": 0, "joined": 0} for c in cfgs}
        self.rosters = {}
        for c in cfgs:
            fmt = "xlsx" if first.people <= EXCEL_ROWS - 2 else "csv"
            path = first.out / "roster" / c["round"] / f"บัญชีกลุ่มเป้าหมาย.{fmt}"
            self.rosters[c["round"]] = _Sheet(path, fmt, ROSTER_HEADER, f"บัญชีกลุ่มเป้าหมาย รอบปี {c['round']}")

    def province(self, ctx0: dict, i: int, prov: dict, listed: list[dict]) -> None:
        """Every later round of province i, given its first round's listed people."""
        code = prov["province_code"]
        prefix = f"provinces/{code}-{prov['name_th']}/"
        formats = {}                                   # file stem -> format, for names reused
        for rel in reversed(self.first.files):
            if not rel.startswith(prefix):
                break
            stem, fmt = rel[len(prefix):].rsplit(".", 1)
            formats[stem] = fmt
        reuse = i == REUSING_PROVINCE or np.random.default_rng([self.seed, 0, i]).random() < REUSE_SHARE
        if reuse:
            for stem, fmt in formats.items():
                self.written[f"{prefix}{stem}.{fmt}"] = [self.first.round]
        state = [changes.state_of(p) for p in listed]
        for k, cfg in enumerate(self.cfgs, start=1):
            r = cfg["round"]
            rng = np.random.default_rng([self.seed, k, i])
            framework = changes.framework_of(cfg)
            state, moved, counts = changes.move(rng, state, i, self.provinces, framework)
            for to, person in moved:
                self.incoming.setdefault((to, k), []).append(person)
            for key, n in counts.items():
                self.moves[r][key] += n
            ctx = {"rng": rng, "drive": self.drives[r], "group_no": self.group_no, "bad_share": self.bad_share,
                   "next": k * _ROUND_IDS + i * _PROVINCE_IDS, "offset": ctx0["offset"], "used": ctx0["used"],
                   "names": ctx0["names"], "deadline": cfg["deadline_at"],
                   "header": HEADERS_TH + [s["name_th"] for s in framework["skills"]] + TAIL_TH}
            codes = [s["code"] for s in framework["skills"]]
            n_join = int(rng.binomial(len(state) + 1, changes.JOIN))
            state += self.incoming.pop((i, k), []) + self._fresh(ctx, n_join, prov, codes)
            self.moves[r]["joined"] += n_join
            extras = self._fresh(ctx, int(rng.binomial(len(state) + 1, 0.02)), prov, codes)
            self._write(ctx, cfg, prov, state, extras, reuse, formats)

    def _fresh(self, ctx: dict, n: int, prov: dict, codes: list[str]) -> list[dict]:
        people = changes.fresh(ctx["rng"], n, ctx["next"], ctx["offset"], prov, codes)
        ctx["next"] += n
        if ctx["used"] is not None:
            ctx["used"].update(p["citizen_id"] for p in people)
        return people

    def _write(self, ctx: dict, cfg: dict, prov: dict, listed: list[dict], extras: list[dict], reuse: bool,
               formats: dict) -> None:
        """A province's round: roster rows, the on-time file(s) and the late one, the plan."""
        rng, drive, r = ctx["rng"], ctx["drive"], cfg["round"]
        code, target = prov["province_code"], int(cfg["target_level"])
        outcome = rng.choice(len(OUTCOME_WEIGHTS), size=len(listed), p=_p(OUTCOME_WEIGHTS.values())).tolist()
        shift, wrong = rng.integers(1, len(GROUPS), len(listed) + len(extras)), rng.random(len(listed) + len(extras))
        other_levels = [lv for lv in (1, 2, 3, 4) if lv != target]
        people = []
        for j, p in enumerate(listed + extras):
            o = OUTCOMES[outcome[j]] if j < len(listed) else "NOT_ON_LIST"
            g = p["assigned_group"]
            declared = GROUPS[(GROUPS.index(g) + int(shift[j])) % len(GROUPS)] if o == "GROUP_MISMATCH" else g
            level = other_levels[int(wrong[j] * len(other_levels))] if o == "TARGET_MISMATCH" else target
            people.append(dict(p, skills=dict(p["skills"]), outcome=o, declared_group=declared,
                               declared_level=level, signed=o != "UNSIGNED", assessed_on="", signed_on="", file="",
                               source_row=0))
        roster = self.rosters[r]
        for p in people[:len(listed)]:
            roster.write([roster.rows + 1, p["citizen_id"], p["title"], p["first_name"], p["last_name"],
                          p["position"], p["position_level"], p["unit"], code, self.group_no[p["assigned_group"]]])
        counts = {}
        for p in people:
            counts[p["outcome"]] = counts.get(p["outcome"], 0) + 1
        drive.outcomes[code] = dict(sorted(counts.items()))
        drive.people += len(listed)
        folder = drive.out / "provinces" / f"{code}-{prov['name_th']}"
        units = changes.units_of(prov)
        on_time = [p for p in people if p["outcome"] not in ("MISSING", "LATE")]
        parts = max(1, min(len(units), -(-len(on_time) // FILE_ROWS)))
        name = "ผลDG-SA รอบ1" if reuse else f"ผลDG-SA {r}"
        deadline = cfg["deadline_at"]
        for part in range(parts):
            batch = [p for p in on_time if units.index(p["unit"]) % parts == part]
            if batch:
                day = deadline.date() - dt.timedelta(days=int(rng.integers(1, 16)))
                when = dt.datetime.combine(day, dt.time(int(rng.integers(8, 18))), config.BANGKOK)
                self._file(ctx, folder, name if parts == 1 else f"{name} ชุดที่ {part + 1}", when, batch, prov,
                           True, reuse, formats)
        late = [p for p in people if p["outcome"] == "LATE"]
        if late:
            when = deadline + dt.timedelta(days=int(rng.integers(2, 21)), hours=int(rng.integers(1, 10)))
            stem = "ผลDG-SA เพิ่มเติม" if reuse else f"ผลDG-SA {r} เพิ่มเติม"
            self._file(ctx, folder, stem, when, late, prov, False, reuse, formats)
        if drive.mode == "full":
            drive.roster += people[:len(listed)]
            drive.not_on_list += people[len(listed):]

    def _file(self, ctx, folder, stem, when, batch, prov, bad, reuse, formats) -> None:
        rel = _file(ctx, folder, stem, when, batch, prov, bad, fmt=formats.get(stem))
        formats[stem] = rel.rsplit(".", 1)[1]
        if reuse:
            self.written.setdefault(rel, []).append(ctx["drive"].round)

    def close(self) -> None:
        for c in self.cfgs:
            self.rosters[c["round"]].close(dt.datetime.combine(c["opens_on"], dt.time(9), config.BANGKOK))

    def as_dict(self) -> dict:
        return {"rounds": [self.first.round] + [c["round"] for c in self.cfgs],
                "until": (self.cfgs[-1] if self.cfgs else {"round": self.first.round})["round"],
                "later": {r: dict(d.as_dict(), moves=self.moves[r]) for r, d in self.drives.items()},
                "reused": {rel: rounds for rel, rounds in sorted(self.written.items()) if len(rounds) > 1}}
