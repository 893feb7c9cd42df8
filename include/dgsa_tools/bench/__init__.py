"""The bench (`python -m dgsa_tools.bench`, `make bench`): `run` (sizes, phases, the CLI),
`through_airflow` (the real DAGs in a throw-away AIRFLOW_HOME), `anchors` (psql \\copy and
the naive pandas script), `report` (docs/benchmarks.md), `page` (the DG-SA page's figures,
`make bench-page`).

May import: dgsa (any of it), dgsa_tools.sample."""
