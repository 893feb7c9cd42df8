-- Roles, idempotent (roles are cluster-wide; grants are per database).
-- dgsa_loader: owns and writes the pipeline's tables (the deployment's pipeline login is a member).
-- dgsa_analyst: may log in and read audit, marts and ref; nothing else; writes nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dgsa_loader') THEN
        CREATE ROLE dgsa_loader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dgsa_analyst') THEN
        CREATE ROLE dgsa_analyst LOGIN;
    END IF;
END
$$;

GRANT ALL ON SCHEMA ref, audit, raw, core, marts, mart_build TO dgsa_loader;
GRANT ALL ON ALL TABLES IN SCHEMA ref, audit, raw, core, marts, mart_build TO dgsa_loader;
GRANT ALL ON ALL SEQUENCES IN SCHEMA audit TO dgsa_loader;

REVOKE ALL ON SCHEMA raw, core, mart_build FROM dgsa_analyst;
REVOKE ALL ON ALL TABLES IN SCHEMA raw, core, mart_build FROM dgsa_analyst;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA ref, audit, marts TO dgsa_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ref, audit, marts TO dgsa_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA ref, audit, marts GRANT SELECT ON TABLES TO dgsa_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA ref, audit, raw, core, marts, mart_build GRANT ALL ON TABLES TO dgsa_loader;
