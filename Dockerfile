# dgsa Airflow image: the official Airflow 3 image plus the project's exact pins.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow
COPY requirements.txt /opt/dgsa/requirements.txt
RUN pip install --no-cache-dir -r /opt/dgsa/requirements.txt
COPY --chown=airflow:root include /opt/airflow/include
COPY --chown=airflow:root expectations /opt/airflow/expectations
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
ENV PYTHONPATH=/opt/airflow/include
