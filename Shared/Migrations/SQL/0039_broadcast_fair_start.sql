-- Fairness between departments inside the broadcast lanes. Jobs are claimed in (priority, run_at) order, so a
-- broadcast's jobs carry run_at "tags" instead of all being due at once: fair_start plus a millisecond for every
-- 100 recipients before them (a send job's worth). A broadcast starts at the head of its lane (the earliest job
-- still waiting there) or after the same department's earlier broadcasts in that lane, whichever is later; so two
-- departments' jobs interleave one for one and a small broadcast never waits behind another department's million,
-- while one department's several broadcasts queue behind each other. A tag in the past is simply due.
ALTER TABLE broadcasts ADD COLUMN fair_start timestamptz;
