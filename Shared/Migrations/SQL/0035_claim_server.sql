-- The server a job was claimed on. With an asynchronous standby, a failover can keep a job's claim (it reached the
-- standby) and lose its handler's work (that commit had not). The worker's settlement, retried on the new primary,
-- used to complete the job anyway: a delivery left pending with nothing to run it. A claim now records which server
-- it was made on: the postmaster's start time, which a promoted standby never shares with the old primary (nor a
-- restarted server with itself before the restart). Completing or burying a job claimed on another server puts it
-- back to run again instead (JobSQL.complete, JobSQL.bury), and its handler, idempotent, finds what survived.
-- NULL (claimed before this migration): settled as before.
ALTER TABLE jobs ADD COLUMN claimed_on bigint;

CREATE FUNCTION dakiya_server_epoch() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint $$;
