-- The services' database role. Services connect as a login role that is a member of dakiya_service (make run
-- creates "dakiya"); migrations and dakiya-admin run as the owner. The role may read and write the domain
-- tables, but the transparency log's rows can never be updated or deleted by it: those privileges are revoked
-- here, and the append-only triggers refuse them for every role anyway.
DO $$
BEGIN
    CREATE ROLE dakiya_service NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- roles are the cluster's: another database (or a concurrent migration) made it
END $$;

GRANT USAGE ON SCHEMA public TO dakiya_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dakiya_service;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO dakiya_service;
-- Tables and sequences later migrations create get the same grants (a migration making an append-only table
-- revokes as below).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dakiya_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO dakiya_service;

REVOKE UPDATE, DELETE, TRUNCATE ON log_entries, log_checkpoints, log_tiles, log_cosignatures FROM dakiya_service;
-- The migrations' own record is the owner's.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM dakiya_service;
