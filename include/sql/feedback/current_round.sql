-- The current round of the feedback workbooks: the latest round with data in the marts (anyone
-- on its list, or anyone who submitted for it). NULL before the first mart build with people.
SELECT max(round) FROM marts.compliance_by_province WHERE on_list > 0 OR not_on_list > 0;
