"""The DG-SA app, mounted by Airflow at /dgsa (see dgsa_plugin.py):

    GET /dgsa/                                        the page (static/index.html)
    GET /dgsa/static/...                              its CSS, JS, icon
    GET /dgsa/api/overview?round=                     rounds, last build, 77 provinces (with improved / fell
                                                      back / on track), totals, training, progress over rounds
    GET /dgsa/api/provinces/{code}?round=             one province: counts, training needs, progress over
                                                      rounds, files removed from the drive (still in force)
    GET /dgsa/api/provinces/{code}/followup?round=&limit=   everyone there not yet COMPLIANT (masked IDs),
                                                      each with their change and history across rounds
    GET /dgsa/api/provinces/{code}/followup.xlsx      the same as a formula-safe workbook
    GET /dgsa/data-docs/...                           the Great Expectations Data Docs (DGSA_DOCS_DIR)

Every request needs an Airflow user (auth.RequireAirflowUser). The marts are read through the
analyst role (dgsa.dashboard.source), never recomputed.
"""
from __future__ import annotations

import functools
import logging
import re
import urllib.parse
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from dgsa_page.auth import RequireAirflowUser

log = logging.getLogger(__name__)
URL_PREFIX = "/dgsa"
STATIC = Path(__file__).resolve().parent / "static"
CODE = re.compile(r"^\d{2}$")
NO_STORE = {"Cache-Control": "no-store"}


@functools.cache
def _url() -> str:
    from dgsa.dashboard import source  # noqa: PLC0415

    return source.analyst_url()


def _queries():
    from dgsa.dashboard import queries  # noqa: PLC0415

    return queries


def _call(fn, *args):
    import psycopg2  # noqa: PLC0415

    q = _queries()
    try:
        return fn(*args, url=_url())
    except q.NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except psycopg2.OperationalError as exc:
        log.warning("DG-SA: cannot read the warehouse as dgsa_analyst: %s", exc)
        raise HTTPException(status_code=503, detail="cannot read the warehouse as dgsa_analyst: check DGSA_ANALYST_URL, "
                                                    "the Airflow connection dgsa_analyst or DGSA_ANALYST_PASSWORD") from exc


def _province_code(code: str) -> str:
    if not CODE.match(code):
        raise HTTPException(status_code=404, detail="province codes are two digits")
    return code


def create_app() -> FastAPI:
    app = FastAPI(title="DG-SA page", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequireAirflowUser)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=NO_STORE)

    @app.get("/api/overview")
    def overview(round: str | None = Query(None)) -> JSONResponse:  # noqa: A002
        q = _queries()
        if not _call(lambda url: q.marts_ready(url)):
            raise HTTPException(status_code=404, detail="no marts yet: run dgsa_ingest and dgsa_marts")
        return JSONResponse(_call(q.overview, round), headers=NO_STORE)

    @app.get("/api/provinces/{code}")
    def province(code: str, round: str | None = Query(None)) -> JSONResponse:  # noqa: A002
        q, code = _queries(), _province_code(code)
        return JSONResponse(_call(q.province_detail, round, code), headers=NO_STORE)

    @app.get("/api/provinces/{code}/followup")
    def followup(code: str, round: str | None = Query(None),  # noqa: A002
                 limit: int | None = Query(None, ge=1, description="at most this many rows (default: all)")
                 ) -> JSONResponse:
        q, code = _queries(), _province_code(code)
        chosen, _ = _call(q.pick_round, round)
        prov = _call(q.province, chosen, code)
        rows, total = _call(lambda url: q.followup_with_history(chosen, code, url, limit))
        return JSONResponse({"round": chosen, "province": prov, "total": total, "rows": rows}, headers=NO_STORE)

    @app.get("/api/provinces/{code}/followup.xlsx")
    def followup_xlsx(code: str, round: str | None = Query(None)) -> Response:  # noqa: A002
        from dgsa.dashboard import xlsx  # noqa: PLC0415

        q, code = _queries(), _province_code(code)
        chosen, _ = _call(q.pick_round, round)
        prov = _call(q.province, chosen, code)
        body = xlsx.followup_workbook(_call(q.followup, chosen, code), province_code=code,
                                      province_name=prov["province_name_th"], round_code=chosen)
        name = f"dgsa-followup-{chosen}-{code}.xlsx"
        thai = urllib.parse.quote(f"ติดตาม-DG-SA-{chosen}-{prov['province_name_th']}.xlsx")
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={**NO_STORE,
                                 "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{thai}"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/data-docs", _DataDocs(), name="data-docs")
    return app


class _DataDocs:
    """Static files from DGSA_DOCS_DIR, looked up per request (the folder may appear later)."""

    def __init__(self):
        self._apps: dict[Path, StaticFiles] = {}

    async def __call__(self, scope, receive, send):
        from dgsa.contract.docs import docs_dir  # noqa: PLC0415 - no GX import: docs.py imports GX lazily

        folder = docs_dir().resolve()
        if not (folder / "index.html").is_file():
            resp = JSONResponse({"detail": f"no Data Docs in {folder.name}/ yet: run `make docs` or dgsa_marts"},
                                status_code=404)
            await resp(scope, receive, send)
            return
        app = self._apps.get(folder) or self._apps.setdefault(folder, StaticFiles(directory=folder, html=True))
        await app(scope, receive, send)
