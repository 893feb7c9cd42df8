-- The least-privilege pipeline login (issue 20). Idempotent: `prepare` and bootstrap run it again.
-- dgsa_loader (0002_roles.sql) becomes the OWNER of the pipeline's six schemas and everything in them, so that
-- its member login dgsa_pipeline (created by the bootstrap step, never here: a LOGIN with a password is a
-- secret, and the pipeline cannot create roles) can migrate, load, build and swap the marts with no superuser.
-- dgsa_pipeline's sessions run as dgsa_loader (ALTER ROLE ... SET role, by the bootstrap), so whatever it
-- creates is owned by dgsa_loader too. Nothing here uses a percent sign (run through exec_driver_sql).
DO $$
DECLARE
    obj record;
BEGIN
    FOR obj IN SELECT nspname FROM pg_namespace
               WHERE nspname IN ('ref', 'audit', 'raw', 'core', 'marts', 'mart_build')
                 AND nspowner <> 'dgsa_loader'::regrole LOOP
        EXECUTE 'ALTER SCHEMA ' || quote_ident(obj.nspname) || ' OWNER TO dgsa_loader';
    END LOOP;
    -- tables, views, materialized views and sequences not owned by a table (those follow their table)
    FOR obj IN SELECT c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname IN ('ref', 'audit', 'raw', 'core', 'marts', 'mart_build')
                 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                 AND c.relowner <> 'dgsa_loader'::regrole
                 AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))) LOOP
        EXECUTE CASE obj.relkind WHEN 'v' THEN 'ALTER VIEW ' WHEN 'm' THEN 'ALTER MATERIALIZED VIEW '
                                 WHEN 'S' THEN 'ALTER SEQUENCE ' WHEN 'f' THEN 'ALTER FOREIGN TABLE '
                                 ELSE 'ALTER TABLE ' END || obj.qname || ' OWNER TO dgsa_loader';
    END LOOP;
    FOR obj IN SELECT p.oid::regprocedure::text AS sig, p.prokind
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname IN ('ref', 'audit', 'raw', 'core', 'marts', 'mart_build')
                 AND p.proowner <> 'dgsa_loader'::regrole LOOP
        EXECUTE CASE obj.prokind WHEN 'p' THEN 'ALTER PROCEDURE ' ELSE 'ALTER FUNCTION ' END
                || obj.sig || ' OWNER TO dgsa_loader';
    END LOOP;
END
$$;

-- what dgsa_loader (and so the pipeline login) creates from now on: the analyst may read ref, audit, marts
ALTER DEFAULT PRIVILEGES FOR ROLE dgsa_loader IN SCHEMA ref, audit, marts GRANT SELECT ON TABLES TO dgsa_analyst;
-- the pipeline has no business in public or in any other schema
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
