-- Wake-ups only for idle workers. A NOTIFY in a transaction takes a database-wide lock through its commit (commits
-- that notify are serialised, one fsync each) and wakes every listening session of the database, whatever its
-- channel. A busy worker does not need it: it claims again on its own. So a worker that finds its queue empty holds
-- the queue's advisory lock (exclusive, on a session of its own) while it waits, and an enqueueing transaction sends
-- the NOTIFY only when it cannot take that lock shared.
--
-- Why no job is stranded: a transaction that did not notify holds the lock shared until its commit. A worker going
-- idle takes the lock exclusive, which waits for those commits, and then claims once more: it sees their jobs.
-- While the worker waits for the lock, new shared requests fail (they queue behind it), so those transactions notify.
CREATE FUNCTION dakiya_wake(queue text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF pg_try_advisory_xact_lock_shared(1684761449, hashtext(queue)) THEN
        RETURN false;   -- no worker of this queue is idle: a busy one will claim the job
    END IF;
    PERFORM pg_notify('dakiya_jobs_' || queue, '');
    RETURN true;
END
$$;
