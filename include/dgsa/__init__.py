"""dgsa: the DG-SA compliance and training-needs pipeline (parse, normalise, validate, load).

Importable and testable without a scheduler; the Airflow DAGs in dags/ only wire it up.
"""
