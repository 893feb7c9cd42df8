-- Row rejections the province still has to fix: those of file versions in force (a corrected
-- file under the same name supersedes its old version and with it the old rejections), in the
-- order the province reads its sheets. raw_value keeps citizen IDs masked (the loader does it).
SELECT f.province_code,
       f.rel_path,
       r.source_row,
       r.column_name,
       r.raw_value,
       r.message_th,
       r.message_en,
       r.reason_code
FROM audit.rejected_row r
JOIN audit.source_file f USING (file_id)
WHERE f.province_code = ANY(%(provinces)s)
  AND f.status IN ('partially_loaded', 'rejected')
ORDER BY f.province_code, f.rel_path, f.file_id, r.source_row, r.column_name NULLS FIRST, r.reason_code, r.raw_value;
