-- Every file version a province's folder holds (or held), newest first: the Summary sheet
-- lists them all, the Files-not-loaded sheet those rejected, ignored or duplicate.
-- note_th / note_en: what the ledger knows beside the status (issue 21, 18): a version in force
-- whose file is no longer on the drive (missing_since: it stays in force until withdrawn), and a
-- loaded version replaced by a newer one for some of its rounds only (replaced_rounds), and (Thai;
-- the English is in the ledger's message) a rejected version that replaced nothing.
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
       d.rel_path AS duplicate_of_path,
       f.missing_since,
       f.replaced_rounds,
       nullif(concat_ws(' ', replace(missing.message_th, '{detail}',
                                     to_char(f.missing_since AT TIME ZONE 'Asia/Bangkok', 'DD/MM/')
                                     || (extract(year FROM f.missing_since AT TIME ZONE 'Asia/Bangkok') + 543)::int
                                     || to_char(f.missing_since AT TIME ZONE 'Asia/Bangkok', ' HH24:MI')),
                        replace(replaced.message_th, '{detail}', rounds.list),
                        replace(nothing.message_th, '{detail}', prior.earlier::text)), '') AS note_th,
       nullif(concat_ws(' ', replace(missing.message_en, '{detail}', to_char(f.missing_since AT TIME ZONE 'Asia/Bangkok',
                                                                           'YYYY-MM-DD HH24:MI')),
                        replace(replaced.message_en, '{detail}', rounds.list)), '') AS note_en
FROM audit.source_file f
LEFT JOIN ref.reason_code rc USING (reason_code)
LEFT JOIN audit.source_file d ON d.file_id = f.duplicate_of
LEFT JOIN ref.reason_code missing
       ON missing.reason_code = 'FILE_MISSING' AND f.missing_since IS NOT NULL
      AND f.status IN ('loaded', 'partially_loaded')
LEFT JOIN LATERAL (SELECT string_agg(r.key || ' (file ' || r.value || ')', ', ' ORDER BY r.key) AS list
                   FROM jsonb_each_text(f.replaced_rounds) r) rounds ON f.status = 'loaded'
LEFT JOIN ref.reason_code replaced ON replaced.reason_code = 'REPLACED_FOR_ROUNDS' AND rounds.list IS NOT NULL
-- a new version rejected whole replaces nothing: the English message says so (versions.settle), the Thai note here
LEFT JOIN LATERAL (SELECT max(o.file_id) AS earlier FROM audit.source_file o
                   WHERE o.rel_path = f.rel_path AND o.file_id < f.file_id
                     AND o.status IN ('loaded', 'partially_loaded')) prior ON f.status = 'rejected'
LEFT JOIN ref.reason_code nothing ON nothing.reason_code = 'NOTHING_REPLACED' AND prior.earlier IS NOT NULL
WHERE f.province_code = ANY(%(provinces)s)
ORDER BY f.province_code, f.received_at DESC, f.rel_path, f.file_id DESC;
