-- The moves a channel attempt may make, in one place for every statement that moves one (declared in Swift as
-- AttemptState.mayMove; a test compares the two for every pair of states). Forward only: queued < sending < sent <
-- delivered < read. A failure or a skip ends an attempt that has not yet reached the citizen; nothing leaves
-- failed or skipped, and an attempt that reached the citizen (delivered, read) is never turned into a failure.
CREATE FUNCTION channel_state_may_move(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN to_state IN ('failed', 'skipped') THEN from_state IN ('queued', 'sending', 'sent')
                ELSE from_state NOT IN ('failed', 'skipped') AND channel_state_rank(from_state) < channel_state_rank(to_state) END
$$;
