"""Sample shared drives (`python -m dgsa_tools.sample`): `vocab` (names, weights, IDs, dates),
`people` (the people and their files, streaming), `messy` (every messy case of the spec),
`xlsx` (a streaming workbook writer), `generator` (the plan and the CLI).

May import: dgsa.foundation, and itself."""
