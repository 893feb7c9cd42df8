-- marts.compliance_by_province: status counts per round and province (all 77 provinces for
-- every round that has a list or submissions). on_list = compliant + late + unsigned +
-- group_mismatch + target_mismatch + missing; not_on_list is counted beside it.
CREATE TABLE mart_build.compliance_by_province AS
WITH rounds AS (SELECT DISTINCT round FROM mart_build.compliance_person)
SELECT r.round,
       p.province_code,
       p.name_th                                                         AS province_name_th,
       p.name_en                                                         AS province_name_en,
       count(c.person_key) FILTER (WHERE c.status <> 'NOT_ON_LIST')      AS on_list,
       count(c.person_key) FILTER (WHERE c.status NOT IN ('NOT_ON_LIST', 'MISSING')) AS submitted,
       count(c.person_key) FILTER (WHERE c.status = 'COMPLIANT')         AS compliant,
       count(c.person_key) FILTER (WHERE c.status = 'LATE')              AS late,
       count(c.person_key) FILTER (WHERE c.status = 'UNSIGNED')          AS unsigned,
       count(c.person_key) FILTER (WHERE c.status = 'GROUP_MISMATCH')    AS group_mismatch,
       count(c.person_key) FILTER (WHERE c.status = 'TARGET_MISMATCH')   AS target_mismatch,
       count(c.person_key) FILTER (WHERE c.status = 'MISSING')           AS missing,
       count(c.person_key) FILTER (WHERE c.status = 'NOT_ON_LIST')       AS not_on_list,
       round(count(c.person_key) FILTER (WHERE c.status = 'COMPLIANT')::numeric
             / nullif(count(c.person_key) FILTER (WHERE c.status <> 'NOT_ON_LIST'), 0), 4) AS compliance_rate
FROM rounds r
CROSS JOIN ref.province p
LEFT JOIN mart_build.compliance_person c ON c.round = r.round AND c.province_code = p.province_code
GROUP BY r.round, p.province_code, p.name_th, p.name_en;

ALTER TABLE mart_build.compliance_by_province ADD PRIMARY KEY (round, province_code);

COMMENT ON TABLE mart_build.compliance_by_province IS
    'DG-SA compliance per round and province (สรุปการส่งผลการประเมินรายจังหวัด): how many people on the list are in each status.';
COMMENT ON COLUMN mart_build.compliance_by_province.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.compliance_by_province.province_code IS '2-digit province code (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.compliance_by_province.province_name_th IS 'Province name in Thai (ชื่อจังหวัด).';
COMMENT ON COLUMN mart_build.compliance_by_province.province_name_en IS 'Province name in English.';
COMMENT ON COLUMN mart_build.compliance_by_province.on_list IS 'People on the round''s target-group list (บัญชีกลุ่มเป้าหมาย) in this province = compliant + late + unsigned + group_mismatch + target_mismatch + missing.';
COMMENT ON COLUMN mart_build.compliance_by_province.submitted IS 'People on the list with at least one loaded assessment row (ส่งแล้ว), whatever its problems.';
COMMENT ON COLUMN mart_build.compliance_by_province.compliant IS 'Signed, on time, declaring the assigned group and the round''s target level (ครบถ้วน).';
COMMENT ON COLUMN mart_build.compliance_by_province.late IS 'As compliant, but received after the deadline (ส่งล่าช้า). Not counted as compliant.';
COMMENT ON COLUMN mart_build.compliance_by_province.unsigned IS 'Received but not marked signed (ยังไม่ลงนาม).';
COMMENT ON COLUMN mart_build.compliance_by_province.group_mismatch IS 'Declared a target group other than the assigned one (กลุ่มเป้าหมายไม่ตรง).';
COMMENT ON COLUMN mart_build.compliance_by_province.target_mismatch IS 'Declared a target level other than the round''s (ระดับเป้าหมายไม่ตรง).';
COMMENT ON COLUMN mart_build.compliance_by_province.missing IS 'On the list with no valid assessment received (ยังไม่ส่ง).';
COMMENT ON COLUMN mart_build.compliance_by_province.not_on_list IS 'People who submitted from this province but are not on the list (ไม่อยู่ในบัญชี): for follow-up; not part of on_list.';
COMMENT ON COLUMN mart_build.compliance_by_province.compliance_rate IS 'compliant / on_list, 0 to 1 (null when nobody is on the list). LATE is not compliant.';
