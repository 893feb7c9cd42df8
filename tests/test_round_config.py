"""A wrong round configuration fails at `prepare` with ONE clear error naming the round and the
field, and nothing is loaded under it (dgsa.foundation.rounds, called by migrate.seed_reference)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dgsa.foundation import config, db, rounds
from dgsa.ingest import steps as ingest

from helpers import ids, sub_row, write_roster, write_submission, when
from test_frameworks import FRAMEWORK, config_copy

ROOT = Path(__file__).resolve().parents[1]


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _round(code):
    def pick(data):
        return next(r for r in data["rounds"] if str(r["round"]) == code)
    return pick


def overlapping(conf):
    _edit(conf / "rounds.yaml", lambda d: _round("2565")(d).update(window_from="2022-09-01"))


def unknown_framework(conf):
    _edit(conf / "rounds.yaml", lambda d: _round("2565")(d).update(framework_version="tpqi-2599"))


def target_names_unknown_skill(conf):
    _edit(conf / "frameworks" / f"{FRAMEWORK}.yaml", lambda d: d["targets"]["OTH"].append("XYZ"))


def mapping_to_missing_code(conf):
    _edit(conf / "frameworks" / f"{FRAMEWORK}.yaml", lambda d: d["maps_from"]["skills"].update(DLIT="DLX"))


# case -> (what the one error must say: the round, the field, the culprit)
CASES = {
    overlapping: ("round 2565: field window_from (2022-09-01) overlaps the window of round 2564",),
    unknown_framework: ("round 2565: field framework_version names 'tpqi-2599'",),
    target_names_unknown_skill: ("round 2565: framework tpqi-2565 field targets.OTH names skill 'XYZ'",),
    mapping_to_missing_code: ("round 2565: framework tpqi-2565 field maps_from.skills.DLIT maps from 'DLX'",),
}


@pytest.fixture
def use_config(monkeypatch):
    def use(conf: Path):
        monkeypatch.setattr(config, "CONFIG_DIR", conf)
        config.clear_caches()
    yield use
    monkeypatch.undo()
    config.clear_caches()


def test_the_shipped_configuration_and_the_copy_with_the_new_framework_are_valid(tmp_path, use_config):
    assert rounds.problems_found() == []
    use_config(config_copy(tmp_path / "conf"))
    assert rounds.problems_found() == []


@pytest.mark.parametrize("breaks", list(CASES), ids=[f.__name__ for f in CASES])
def test_a_wrong_round_config_gives_one_error_naming_round_and_field(tmp_path, use_config, breaks):
    conf = config_copy(tmp_path / "conf")
    breaks(conf)
    use_config(conf)
    problems = rounds.problems_found()
    assert len(problems) == 1, problems
    with pytest.raises(config.ConfigError) as err:
        rounds.validate()
    message = str(err.value)
    assert all(part in message for part in CASES[breaks]), message
    assert "\n" not in message


def test_nothing_is_loaded_under_a_broken_config(tmp_path, warehouse_url, use_config):
    """prepare (the first step of every run) refuses; the run stops before the drive is scanned."""
    conf = config_copy(tmp_path / "conf")
    overlapping(conf)
    drive = tmp_path / "drive"
    cid = ids(1, seed=5)[0]
    write_roster(drive, [(cid, "ก", "ข", "50", 6)])
    write_submission(drive, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, cid)], when(20))
    use_config(conf)
    with db.scratch_database(warehouse_url, "dgsa_badconf") as url:
        with pytest.raises(config.ConfigError, match="round 2565: field window_from"):
            ingest.run_all(drive, url=url)
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM audit.source_file), (SELECT count(*) FROM core.assessment), "
                        "(SELECT count(*) FROM ref.round), (SELECT count(*) FROM ref.framework)")
            assert cur.fetchone() == (0, 0, 0, 0)
        # the command line says it in one line, without a stack trace
        env = dict(os.environ, DGSA_CONFIG_DIR=str(conf), DGSA_WAREHOUSE_URL=url)
        proc = subprocess.run([sys.executable, "-m", "dgsa.ingest", "--drive", str(drive)], env=env,
                              capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("dgsa ingest: round configuration") and "round 2565: field window_from" in last
