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
