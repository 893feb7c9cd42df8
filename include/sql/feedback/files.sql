-- Every file version a province's folder holds (or held), newest first: the Summary sheet
-- lists them all, the Files-not-loaded sheet those rejected, ignored or duplicate.
-- %(provinces)s: the province codes to report on.
SELECT f.province_code,
       f.file_id,
       f.rel_path,
       f.status,
       f.reason_code,
       f.message,
       rc.message_th,
       rc.message_en,
       f.rows_read,
       f.rows_loaded,
       f.rows_rejected,
       f.rows_skipped,
       f.received_at,
       d.rel_path AS duplicate_of_path
FROM audit.source_file f
LEFT JOIN ref.reason_code rc USING (reason_code)
LEFT JOIN audit.source_file d ON d.file_id = f.duplicate_of
WHERE f.province_code = ANY(%(provinces)s)
ORDER BY f.province_code, f.received_at DESC, f.rel_path, f.file_id DESC;
