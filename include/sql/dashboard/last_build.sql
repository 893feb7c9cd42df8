-- The last published mart build and the run that wrote it: the run name of the mart
-- validations just before it (the dgsa_marts DAG run id, or 'manual').
WITH b AS (
    SELECT max(built_at) AS built_at, count(*) AS marts, sum(row_count) AS rows
    FROM audit.mart_build
    WHERE published AND built_at = (SELECT max(built_at) FROM audit.mart_build WHERE published)
)
SELECT b.built_at, b.marts, b.rows,
       (SELECT v.run_name FROM audit.validation_run v
        WHERE v.suite LIKE 'marts/%%' AND v.validated_at <= b.built_at
        ORDER BY v.validated_at DESC LIMIT 1) AS run_name,
       (SELECT max(built_at) FROM audit.mart_build WHERE NOT published) AS last_failed_at
FROM b;
