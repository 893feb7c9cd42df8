"""Stage 1, the drive into the warehouse core, in the order a file walks: `drive` (walk and
classify) -> `ledger` (every file version) -> `limits` (what a file may cost, before parsing:
`limit_settings`, `limit_xlsx`, `limit_csv`) -> `readers` (+ `formats`) -> `headers` ->
`normalise` -> `rows` (typing by column, no verdicts) -> `judge` (the contract's verdict on a
batch) -> `write` (one file, one transaction) -> `load` (the steps of one load; `prepare_pool`
and `prepare_worker` read and type files ahead in worker processes; a big file goes through
`stream_load` chunk by chunk: `stream_read` its rows (an xlsx sheet: `stream_xlsx`, `xlsx_parts`,
`xlsx_fast`), `stream_judge` its verdicts), with
`file_state` (what the loader knows of a file) and `steps` (the DAG's steps and the CLI:
`python -m dgsa.ingest`).

May import: dgsa.foundation, dgsa.contract."""
