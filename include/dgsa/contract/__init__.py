"""The data contract's machinery: the Great Expectations suites in expectations/ loaded,
run and kept (`suites`), GX's expectation memo (`gx_memo`), and the Data Docs rendered from
the kept results (`docs`, with GX's front-end assets in `vendor/`). GX is imported lazily,
never at DAG parse time.

May import: dgsa.foundation."""
