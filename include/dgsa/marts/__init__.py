"""Stage 2, the core into the published marts: `build` (write every mart from
include/sql/marts/ into mart_build, judge each with its GX suite, swap all in one
transaction; `python -m dgsa.marts`) and `report` (what the marts say, as text).

May import: dgsa.foundation, dgsa.contract."""
