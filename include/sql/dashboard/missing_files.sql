-- Files no longer on the drive whose versions are still in force (issue 21: a removed file stays
-- in force until an engineer withdraws it with `python -m dgsa.ingest.withdraw`): one row per
-- version, newest first. %(province)s: a province code, or NULL for every province.
SELECT f.province_code,
       f.file_id,
       f.rel_path,
       f.status,
       f.rows_loaded,
       f.received_at,
       f.missing_since,
       (SELECT string_agg(v.round_code, ',' ORDER BY v.round_code)
        FROM audit.version_in_force v WHERE v.file_id = f.file_id) AS rounds_in_force
FROM audit.source_file f
WHERE f.missing_since IS NOT NULL
  AND f.status IN ('loaded', 'partially_loaded')
  AND (%(province)s::text IS NULL OR f.province_code = %(province)s::text)
ORDER BY f.missing_since DESC, f.province_code, f.rel_path, f.file_id DESC;
