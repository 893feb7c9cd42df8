"""No Docker engine runs here: parse docker-compose.yaml and check the deployment's properties."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_airflow_services_share_the_common_anchor():
    services = COMPOSE["services"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                 "airflow-worker", "airflow-init"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${AIRFLOW__API_AUTH__JWT_SECRET}", name
        assert env["AIRFLOW__CORE__FERNET_KEY"] == "${AIRFLOW__CORE__FERNET_KEY}", name
    assert "x-airflow-common" in COMPOSE


def test_separate_warehouse_and_metadata_databases():
    env = COMPOSE["services"]["airflow-scheduler"]["environment"]
    assert "@metadata-db/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert "@warehouse-db:" in env["DGSA_WAREHOUSE_URL"] and "@warehouse-db:" in env["AIRFLOW_CONN_DGSA_WAREHOUSE"]
    assert {"metadata-db", "warehouse-db", "redis"} <= set(COMPOSE["services"])


def test_drive_read_only_healthchecks_init_and_secrets_from_env():
    services = COMPOSE["services"]
    drive_mounts = [v for v in services["airflow-worker"]["volumes"] if v.endswith(":/data/drive:ro")]
    assert drive_mounts, "the drive must be mounted read-only"
    for name, svc in services.items():
        if name != "airflow-init":
            assert "healthcheck" in svc, f"{name} has no healthcheck"
    assert "airflow db migrate" in " ".join(services["airflow-init"]["command"])
    assert "dgsa.foundation.migrate" in " ".join(services["airflow-init"]["command"])
    assert services["airflow-scheduler"]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    example = (ROOT / ".env.example").read_text()
    for var in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "DGSA_PERSON_KEY_SECRET"):
        assert var in example
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert "requirements.txt" in (ROOT / "Dockerfile").read_text()


def _user(url: str) -> str:
    return url.split("//", 1)[1].split("@", 1)[0].split(":", 1)[0]


def test_the_pipeline_logs_in_as_dgsa_pipeline_never_as_the_superuser():
    """Issue 20: no superuser URL for the pipeline; the superuser appears only in airflow-init's bootstrap."""
    services = COMPOSE["services"]
    superuser = services["warehouse-db"]["environment"]["POSTGRES_USER"]
    assert superuser != "dgsa_pipeline"
    for name, svc in services.items():
        env = svc.get("environment") or {}
        for key in ("DGSA_WAREHOUSE_URL", "AIRFLOW_CONN_DGSA_WAREHOUSE"):
            if key in env:
                assert _user(env[key]) == "dgsa_pipeline", f"{name}.{key} logs in as {_user(env[key])}"
    everywhere = [(name, key, value) for name, svc in services.items()
                  for key, value in (svc.get("environment") or {}).items()
                  if isinstance(value, str) and f"//{superuser}:" in value]
    assert everywhere == [("airflow-init", "DGSA_BOOTSTRAP_URL", everywhere[0][2])], everywhere
    init = " ".join(services["airflow-init"]["command"])
    assert 'DGSA_WAREHOUSE_URL="$$DGSA_BOOTSTRAP_URL" python -m dgsa.foundation.migrate' in init
    assert "DGSA_PIPELINE_PASSWORD" in (ROOT / ".env.example").read_text()


def test_openlineage_transport_from_env_and_marquez_behind_a_profile():
    services = COMPOSE["services"]
    env = services["airflow-worker"]["environment"]
    assert env["AIRFLOW__OPENLINEAGE__EXTRACTORS"] == "dgsa.operations.lineage.DgsaTaskExtractor"
    assert env["AIRFLOW__OPENLINEAGE__TRANSPORT"] == "${DGSA_OPENLINEAGE_TRANSPORT:-}"
    for name in ("marquez", "marquez-db", "marquez-web"):
        assert services[name]["profiles"] == ["lineage"], name
    example = (ROOT / ".env.example").read_text()
    assert '"type": "http", "url": "http://marquez:5000"' in example
    assert '"type": "file"' in example
