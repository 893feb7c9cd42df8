"""Who is calling: Airflow does not authenticate plugin FastAPI apps, so every request to the
DG-SA app is checked here, with Airflow's own auth manager, before any route runs.

The token is the JWT the Airflow UI already holds: `Authorization: Bearer <jwt>` (API clients)
or the `_token` cookie the login page sets (the browser, also inside the UI's iframe). No token
or an expired one: 401; a token the auth manager rejects, or a user it does not allow to see
the custom view "DG-SA": 403.
"""
from __future__ import annotations

import logging

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
VIEW_NAME = "DG-SA"
COOKIE = "_token"   # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE)


async def authenticate(request: Request):
    """The Airflow user behind the request; HTTPException 401/403 otherwise."""
    from airflow.api_fastapi.app import get_auth_manager  # noqa: PLC0415
    from airflow.api_fastapi.core_api.security import resolve_user_from_token  # noqa: PLC0415

    user = await resolve_user_from_token(token_of(request))      # 401 none/expired, 403 invalid
    if not get_auth_manager().is_authorized_custom_view(method="GET", resource_name=VIEW_NAME, user=user):
        raise HTTPException(status_code=403, detail=f"Not allowed to see {VIEW_NAME}")
    return user


class RequireAirflowUser:
    """ASGI middleware: every HTTP request (routes, static files, Data Docs) needs a valid user."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            user = await authenticate(request)
        except HTTPException as exc:
            await _refusal(request, exc)(scope, receive, send)
            return
        except Exception:   # noqa: BLE001 - a broken token must never let a request through
            log.exception("DG-SA: could not check the caller")
            await _refusal(request, HTTPException(status_code=403, detail="Could not check the caller"))(
                scope, receive, send)
            return
        scope.setdefault("state", {})["dgsa_user"] = user
        await self.app(scope, receive, send)


def _refusal(request: Request, exc: HTTPException):
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>DG-SA</title>"
            f"<p>กรุณาเข้าสู่ระบบ Airflow ก่อน / Please log in to Airflow first ({exc.status_code}: {exc.detail}).</p>"
            f"<p><a href='/' target='_top'>Airflow</a></p>", status_code=exc.status_code)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
