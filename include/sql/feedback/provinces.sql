-- Provinces with something to say from the ledger: any file version in their folder.
SELECT DISTINCT province_code FROM audit.source_file WHERE province_code IS NOT NULL;
