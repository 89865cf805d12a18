-- Whether every completed job is copied to job_history, or only those that needed more than one attempt (the
-- default; dead and cancelled jobs are always kept). The switch is the database's:
--   ALTER DATABASE dakiya SET dakiya.job_history = 'all';
-- read as each session starts (services pick it up on their next connection).
CREATE FUNCTION dakiya_job_history_all() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('dakiya.job_history', true), '') = 'all'
$$;
