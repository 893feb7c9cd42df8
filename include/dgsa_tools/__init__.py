"""dgsa_tools: the workshop beside the product, never imported by it (dags/, plugins/ and
include/dgsa/ must not import it; tests/test_layout.py checks): `sample` (sample drives,
`python -m dgsa_tools.sample`), `bench` (`python -m dgsa_tools.bench`, `...bench.page`),
`devenv` (finds or starts the local warehouse, `python -m dgsa_tools.devenv`), `celery_local`
(`make airflow-celery`: the compose deployment as local processes).

May import: dgsa (any of it), and itself."""
