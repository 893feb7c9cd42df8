"""Great Expectations Data Docs (static HTML) for the data contract.

    python -m dgsa.contract.docs [--out DIR] [--days N] [--force]     # default DIR: DGSA_DOCS_DIR

Rendered again only when what it shows changed (the validation runs in the window, the suites):
DIR/.dgsa-source keeps the fingerprint of the last rendering.

GX renders Data Docs from its stores, but an ephemeral context keeps nothing and the
validations run in many worker processes (on several machines under Celery). So the docs are
rebuilt from the warehouse: every suite in expectations/, and the validation runs kept in
audit.validation_run over the last N days (their results hold counts, never cell values).
Open DIR/index.html in a browser. GX's pages load jQuery, Bootstrap, bootstrap-table etc.
from public CDNs; `offline()` copies vendored copies (include/dgsa/vendor/datadocs/, licences
kept) into DIR/static/vendor/ and points every page at them, so the docs work with no internet
(also served by the DG-SA page at /dgsa/data-docs/).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

from dgsa.foundation import config, db
from dgsa.contract import suites as contract

log = logging.getLogger(__name__)
SITE = "dgsa"
SOURCE_STAMP = ".dgsa-source"     # the fingerprint of what the site in DIR was rendered from
VENDOR_DIR = Path(__file__).resolve().parent / "vendor" / "datadocs"
# CDN address (regex) -> file under VENDOR_DIR; None drops the whole tag
CDN = [
    (r"https://code\.jquery\.com/jquery-3\.7\.1\.min\.js", "jquery-3.7.1/jquery.min.js"),
    (r"https://maxcdn\.bootstrapcdn\.com/bootstrap/4\.3\.1/css/bootstrap\.min\.css", "bootstrap-4.3.1/css/bootstrap.min.css"),
    (r"https://stackpath\.bootstrapcdn\.com/bootstrap/4\.3\.1/js/bootstrap\.min\.js", "bootstrap-4.3.1/js/bootstrap.min.js"),
    (r"https://unpkg\.com/bootstrap-table@1\.19\.[01]/dist/bootstrap-table\.min\.css",
     "bootstrap-table-1.19.1/bootstrap-table.min.css"),
    (r"https://unpkg\.com/bootstrap-table@1\.19\.[01]/dist/bootstrap-table\.min\.js",
     "bootstrap-table-1.19.1/bootstrap-table.min.js"),
    (r"https://unpkg\.com/bootstrap-table@1\.19\.[01]/dist/extensions/filter-control/bootstrap-table-filter-control"
     r"(?:\.min)?\.css", "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    (r"https://unpkg\.com/bootstrap-table@1\.19\.[01]/dist/extensions/filter-control/bootstrap-table-filter-control"
     r"(?:\.min)?\.js", "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/popper\.js/1\.12\.9/umd/popper\.min\.js",
     "popper.js-1.12.9/umd/popper.min.js"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/1\.9\.0/css/bootstrap-datepicker\.min\.css",
     "bootstrap-datepicker-1.9.0/css/bootstrap-datepicker.min.css"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/1\.9\.0/js/bootstrap-datepicker\.min\.js",
     "bootstrap-datepicker-1.9.0/js/bootstrap-datepicker.min.js"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/font-awesome/6\.6\.0/css/all\.min\.css",
     "fontawesome-free-6.6.0/css/all.min.css"),
    (r"https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@1\.1\.0/dist/css/bootstrap-prefers-dark\.css",
     "bootstrap-dark-1.1.0/css/bootstrap-prefers-dark.css"),
    (r"https://great-expectations-web-assets\.s3[^\"']*/logo-long\.png[^\"']*", "gx-logo.svg"),
]
VEGA_TAG = re.compile(r"<script[^>]*src=[\"']https://cdn\.jsdelivr\.net/npm/vega[^\"']*[\"'][^>]*>\s*</script>")
REMOTE_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"'](https?://[^\"']+)", re.I)


def docs_dir() -> Path:
    return Path(os.environ.get("DGSA_DOCS_DIR") or config.PROJECT_DIR / ".dgsa" / "data_docs")


def all_suites() -> list[str]:
    return sorted(str(p.relative_to(contract.EXPECTATIONS_DIR).with_suffix(""))
                  for p in contract.EXPECTATIONS_DIR.rglob("*.json"))


def _source(url: str | None, days: int, limit: int) -> tuple[list[tuple], str]:
    """The validation runs the site shows, and a fingerprint of everything it is rendered from (those runs'
    ids, the suites' text): the same fingerprint renders the same site."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT validation_id, run_name, validated_at, target, result FROM audit.validation_run
                       WHERE validated_at > now() - make_interval(days => %s)
                       ORDER BY validation_id DESC LIMIT %s""", (days, limit))
        runs = cur.fetchall()
    digest = hashlib.sha256(json.dumps([r[0] for r in runs]).encode())
    for name in all_suites():
        digest.update(name.encode() + b"\0" + (contract.EXPECTATIONS_DIR / f"{name}.json").read_bytes())
    return runs, digest.hexdigest()


def build(out: Path | None = None, url: str | None = None, days: int = 7, limit: int = 1000,
          force: bool = False) -> Path:
    """Render the site into `out`; when the runs and suites it would show are those it already shows
    (a night with nothing new), the site is left as it is: GX is not even imported."""
    out = (out or docs_dir()).resolve()
    runs, fingerprint = _source(url, days, limit)
    stamp = out / SOURCE_STAMP
    if not force and (out / "index.html").exists() and stamp.exists() and stamp.read_text() == fingerprint:
        log.info("Data Docs unchanged (same %s validation runs and suites): %s", len(runs), out / "index.html")
        return out / "index.html"
    from great_expectations.core.expectation_validation_result import (  # noqa: PLC0415
        ExpectationSuiteValidationResult)
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: PLC0415
    from great_expectations.data_context.types.resource_identifiers import (  # noqa: PLC0415
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    out.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
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
    for validation_id, run_name, validated_at, target, result in runs:
        result = result if isinstance(result, dict) else json.loads(result)
        meta = result.setdefault("meta", {})
        meta.update(dgsa_target=target, run_id={"run_name": run_name, "run_time": validated_at.isoformat()})
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=result["suite_name"]),
                                         RunIdentifier(run_name=run_name, run_time=validated_at),
                                         f"validation-{validation_id}")
        store.set(key, ExpectationSuiteValidationResult(**result))
    context.build_data_docs(site_names=[SITE])
    offline(out)
    stamp.write_text(fingerprint)
    log.info("Data Docs: %s suites, %s validation runs -> %s", len(all_suites()), len(runs), out / "index.html")
    return out / "index.html"


def offline(out: Path) -> list[str]:
    """Copy the vendored assets into out/static/vendor and point every page at them. Returns the
    remote assets (script, stylesheet, image) still referenced (logged; none expected)."""
    target = out / "static" / "vendor"
    shutil.copytree(VENDOR_DIR, target, dirs_exist_ok=True)
    patterns = [(re.compile(rx), rel) for rx, rel in CDN]
    left: set[str] = set()
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        prefix = os.path.relpath(target, page.parent).replace(os.sep, "/")
        new = VEGA_TAG.sub("", text)
        for rx, rel in patterns:
            new = rx.sub(f"{prefix}/{rel}", new)
        left.update(REMOTE_ASSET.findall(new))
        if new != text:
            page.write_text(new, encoding="utf-8")
    if left:
        log.warning("Data Docs still load %s remote assets: %s", len(left), sorted(left)[:5])
    return sorted(left)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="render even when nothing it shows changed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    print(build(args.out, days=args.days, force=args.force))


if __name__ == "__main__":
    main()
