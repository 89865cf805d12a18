-- The deadline sweep looks for held time limits on which the office has decided (Shortfalls.releaseDecided) on every
-- pass: without this index that read every running clock of the state (the running index is by due day); held
-- clocks are few.
CREATE INDEX application_clocks_held_idx ON application_clocks (application_id)
    WHERE held_on IS NOT NULL AND state = 'running' AND kind = 'time_limit';
