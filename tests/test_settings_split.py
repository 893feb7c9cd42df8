"""The settings that split the work change how it is split, never the answer:
DGSA_VALIDATION_BATCH_ROWS (rows judged per GX validation), DGSA_DETAIL_MIN_ROWS (files judged
alone) and DGSA_LOAD_TASKS (provinces grouped into load tasks) each give the warehouse the
same contract tables (tests/contract_tables.py) as the defaults, on a messy drive with bad rows,
while the validations actually run (audit.validation_run) differ as each setting says."""
from __future__ import annotations

import pytest

from contract_tables import dump
from dgsa.foundation import db
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa_tools.sample import generator as sample

from conftest import RESET_SQL


def _run(drive, url) -> tuple[dict, list[str]]:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    ingest.run_all(drive, url=url)
    marts.build(url)
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT target FROM audit.validation_run WHERE suite = 'submission_rows' ORDER BY target")
        targets = [t for (t,) in cur.fetchall()]
    return dump(url), targets


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    out = tmp_path_factory.mktemp("split") / "drive"
    sample.generate(out, 150, seed=17, messy=True, bad_share=0.05)
    return out


@pytest.fixture(scope="module")
def defaults(drive, warehouse_url):
    tables, targets = _run(drive, warehouse_url)
    assert tables["rejected_row"] and tables["assessment"], "the drive has loaded and rejected rows"
    return tables, targets


@pytest.mark.parametrize("setting,value", [("DGSA_VALIDATION_BATCH_ROWS", "25"), ("DGSA_DETAIL_MIN_ROWS", "6"),
                                           ("DGSA_LOAD_TASKS", "5")])
def test_a_split_setting_gives_the_same_contract_tables(drive, warehouse_url, defaults, monkeypatch, setting, value):
    base_tables, base_targets = defaults
    monkeypatch.setenv(setting, value)
    tables, targets = _run(drive, warehouse_url)
    for name in base_tables:
        assert tables[name] == base_tables[name], f"{setting}={value} changed {name}"
    alone = [t for t in targets if "," not in t and ".." not in t]       # "submission files 12": one file
    base_alone = [t for t in base_targets if "," not in t and ".." not in t]
    if setting == "DGSA_VALIDATION_BATCH_ROWS":       # more, smaller batches
        assert len(targets) > len(base_targets)
    elif setting == "DGSA_DETAIL_MIN_ROWS":           # files of 6+ rows judged alone
        assert len(alone) > len(base_alone)
    else:                                              # exactly 5 load tasks, one batch each
        assert len(targets) == 5 != len(base_targets)
