"""The DG-SA page in the Airflow UI: a FastAPI app mounted at /dgsa (plugins/dgsa_page/) and a
navigation entry that shows it inside the UI. Every route checks the caller's Airflow JWT
itself (Airflow does not authenticate plugin apps). Nothing heavy is imported here: no GX,
no database connection until the first request."""
from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dgsa_page.app import URL_PREFIX, create_app


class DgsaPagePlugin(AirflowPlugin):
    name = "dgsa_page"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "DG-SA"}]
    external_views = [{
        "name": "DG-SA",
        "href": f"{URL_PREFIX}/",
        "url_route": "dgsa",
        "destination": "nav",
        "icon": f"{URL_PREFIX}/static/icon.svg",
    }]
