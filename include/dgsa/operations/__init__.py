"""Operations around the stages: what the DAGs share (`dag_common`: assets, task defaults),
alerts (`alerts`), the provinces' feedback workbooks (`feedback`) and the run summary
(`run_summary`).

May import: dgsa.foundation, dgsa.contract, dgsa.ingest, dgsa.marts."""
