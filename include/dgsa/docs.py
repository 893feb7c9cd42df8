"""Great Expectations Data Docs (static HTML) for the data contract.

    python -m dgsa.docs [--out DIR] [--days N]       # default DIR: DGSA_DOCS_DIR

GX renders Data Docs from its stores, but an ephemeral context keeps nothing and the
validations run in many worker processes (on several machines under Celery). So the docs are
rebuilt from the warehouse: every suite in expectations/, and the validation runs kept in
audit.validation_run over the last N days (their results hold counts, never cell values).
Open DIR/index.html in a browser (GX's pages load their CSS from public CDNs; offline they
are unstyled but complete).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
from pathlib import Path

from dgsa import config, contract, db

log = logging.getLogger(__name__)
SITE = "dgsa"


def docs_dir() -> Path:
    return Path(os.environ.get("DGSA_DOCS_DIR") or config.PROJECT_DIR / ".dgsa" / "data_docs")


def all_suites() -> list[str]:
    return sorted(str(p.relative_to(contract.EXPECTATIONS_DIR).with_suffix(""))
                  for p in contract.EXPECTATIONS_DIR.rglob("*.json"))


def build(out: Path | None = None, url: str | None = None, days: int = 7, limit: int = 1000) -> Path:
    from great_expectations.core.expectation_validation_result import (  # noqa: PLC0415
        ExpectationSuiteValidationResult)
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415
    from great_expectations.data_context.types.resource_identifiers import (  # noqa: PLC0415
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    out = (out or docs_dir()).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("index.html", "validations", "expectations", "static"):   # only what GX writes
        target = out / stale
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    _gx, context, _ = contract._gx()
    sites = context.get_config().data_docs_sites or {}
    site_config = {"class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                   "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)}}
    if SITE in sites:
        context.update_data_docs_site(SITE, site_config)
    else:
        context.add_data_docs_site(SITE, site_config)
    for name in all_suites():
        context.suites.add_or_update(_gx.ExpectationSuite(**contract.suite_json(name)))
    store = context.validation_results_store
    for key in list(store.list_keys()):
        store.remove_key(key)
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT validation_id, run_name, validated_at, target, result FROM audit.validation_run
                       WHERE validated_at > now() - make_interval(days => %s)
                       ORDER BY validation_id DESC LIMIT %s""", (days, limit))
        runs = cur.fetchall()
    for validation_id, run_name, validated_at, target, result in runs:
        result = result if isinstance(result, dict) else json.loads(result)
        meta = result.setdefault("meta", {})
        meta.update(dgsa_target=target, run_id={"run_name": run_name, "run_time": validated_at.isoformat()})
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=result["suite_name"]),
                                         RunIdentifier(run_name=run_name, run_time=validated_at),
                                         f"validation-{validation_id}")
        store.set(key, ExpectationSuiteValidationResult(**result))
    context.build_data_docs(site_names=[SITE])
    log.info("Data Docs: %s suites, %s validation runs -> %s", len(all_suites()), len(runs), out / "index.html")
    return out / "index.html"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    print(build(args.out, days=args.days))


if __name__ == "__main__":
    main()
