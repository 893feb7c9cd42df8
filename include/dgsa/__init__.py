"""dgsa: the DG-SA compliance and training-needs pipeline, importable and testable without a
scheduler (the Airflow DAGs in dags/ only wire it up). Its rooms, in the order the data walks:

    foundation/   settings, configuration data, warehouse connections, migrations (imports nothing above it)
    ingest/       the drive -> the ledger -> limits, readers, typing -> the contract's verdict -> the core
    contract/     the Great Expectations suites: run, kept, rendered as Data Docs
    marts/        the core -> the published marts
    operations/   alerts, feedback workbooks, the run summary, what the DAGs share
    dashboard/    the DG-SA page's data (the page itself: plugins/dgsa_page)

The developer tools (sample drives, the bench, the local environment) are a separate package,
dgsa_tools, that nothing here imports. tests/test_layout.py holds these rules.
"""
