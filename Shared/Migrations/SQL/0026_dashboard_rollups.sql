-- The standard dashboard's numbers (issue 17), kept off the delivery path:
-- 1. Row triggers (with WHEN, so an irrelevant update costs nothing) note which application or delivery changed in
--    dashboard_changes: a heap insert, no index, in the writer's own transaction.
-- 2. The refresher (appeals-service, one at a time) takes a batch of changes, recomputes each application's facts
--    (dashboard_applications: one row per application, everything the measures need) from the domain tables, and
--    applies the difference between the old and the new facts to dashboard_counts: per office of the hierarchy
--    (every ancestor of the application's office and of its village, each once), per day (not for villages) and
--    per month, one row with every measure. A page reads at most 14 day rows or 24 month rows per office, never
--    the history; a village's day or week sums the facts of its few hundred applications.
-- Test deliveries and test clocks are never counted.

CREATE TABLE dashboard_changes (
    application_id  bigint,
    delivery_id     uuid,
    CHECK (application_id IS NOT NULL OR delivery_id IS NOT NULL)
);

-- What the measures need to know about one application. Days are in India Standard Time.
CREATE TABLE dashboard_applications (
    application_id  bigint PRIMARY KEY,
    office_code     text    NOT NULL,
    village_code    text,
    received_on     date    NOT NULL,   -- the time limit's start (the portal's complete time), else first heard of
    due_on          date,               -- the time limit's due day, NULL when no time limit was started
    disposed_on     date,               -- the day of the first decision (approved or rejected)
    rejected        boolean NOT NULL DEFAULT false,
    within_limit    boolean,            -- disposed on or before due_on; NULL without a time limit or a disposal
    disposal_days   integer,            -- calendar days from received_on to disposed_on
    -- The first decision's delivery, per channel: [1] any channel, [2] portal, [3] WhatsApp, [4] email.
    attempted       boolean[] NOT NULL DEFAULT '{f,f,f,f}',
    reached_after   integer[] NOT NULL DEFAULT '{NULL,NULL,NULL,NULL}',  -- seconds from the decision
    failed          boolean[] NOT NULL DEFAULT '{f,f,f,f}',
    -- Appeals by level [1..3]: the day filed, the day it became overdue; penalties: the day and the amount.
    appeal_filed    date[]    NOT NULL DEFAULT '{NULL,NULL,NULL}',
    appeal_overdue  date[]    NOT NULL DEFAULT '{NULL,NULL,NULL}',
    penalty_on      date[]    NOT NULL DEFAULT '{}',
    penalty_amount  integer[] NOT NULL DEFAULT '{}'
);

-- The sums, per office of the hierarchy and day (grain 'd'; not for villages, whose day and week pages sum the
-- facts of their few hundred applications) or month (grain 'm', period its first day): one row with every measure. Channels in the arrays:
-- [1] any channel, [2] portal, [3] WhatsApp, [4] email. disposal_days: days from received to decided → applications.
CREATE TABLE dashboard_counts (
    office_code      text     NOT NULL,
    grain            "char"   NOT NULL CHECK (grain IN ('d', 'm')),
    period           date     NOT NULL,
    received         bigint   NOT NULL DEFAULT 0,
    disposed         bigint   NOT NULL DEFAULT 0,
    rejected         bigint   NOT NULL DEFAULT 0,
    timed            bigint   NOT NULL DEFAULT 0,   -- disposed with a time limit
    within_limit     bigint   NOT NULL DEFAULT 0,
    appeals_1        bigint   NOT NULL DEFAULT 0,
    appeals_2        bigint   NOT NULL DEFAULT 0,
    appeals_3        bigint   NOT NULL DEFAULT 0,
    appeals_overdue  bigint   NOT NULL DEFAULT 0,
    penalties        bigint   NOT NULL DEFAULT 0,
    penalty_rupees   bigint   NOT NULL DEFAULT 0,
    outcomes         bigint[] NOT NULL DEFAULT '{0,0,0,0}',
    reached_10s      bigint[] NOT NULL DEFAULT '{0,0,0,0}',
    reached_1h       bigint[] NOT NULL DEFAULT '{0,0,0,0}',
    reached_1d       bigint[] NOT NULL DEFAULT '{0,0,0,0}',
    failed           bigint[] NOT NULL DEFAULT '{0,0,0,0}',
    disposal_days    jsonb    NOT NULL DEFAULT '{}',
    PRIMARY KEY (office_code, grain, period)
);

-- Applications with a time limit and no decision yet, per office (as above) and due day.
CREATE TABLE dashboard_pending (
    office_code  text   NOT NULL,
    due_on       date   NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (office_code, due_on)
);

-- The facts of a village's applications, for its day and week pages.
CREATE INDEX dashboard_applications_village_idx ON dashboard_applications (village_code) WHERE village_code IS NOT NULL;
CREATE INDEX dashboard_applications_office_idx ON dashboard_applications (office_code);

-- One row: whether the counts must be rebuilt from the facts (the office hierarchy changed), and when the
-- refresher last caught up.
CREATE TABLE dashboard_state (
    singleton       boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    rebuild_needed  boolean     NOT NULL DEFAULT true,
    refreshed_at    timestamptz
);
INSERT INTO dashboard_state DEFAULT VALUES;

-- The facts of the applications `ids`, computed from the domain tables (an index lookup or two per application:
-- for the refresher's batches). dashboard_compute_all gives the same for every application, set-based.
CREATE FUNCTION dashboard_compute(ids bigint[]) RETURNS SETOF dashboard_applications LANGUAGE sql STABLE AS $$
    SELECT a.id, a.office_code, a.village_code,
           coalesce(ac.started_on, (coalesce(a.completed_at, a.created_at) AT TIME ZONE 'Asia/Kolkata')::date),
           ac.due_on,
           d.disposed_on,
           coalesce(d.decision = 'rejected', false),
           CASE WHEN ac.due_on IS NOT NULL AND d.disposed_on IS NOT NULL THEN d.disposed_on <= ac.due_on END,
           greatest(d.disposed_on - coalesce(ac.started_on, (coalesce(a.completed_at, a.created_at) AT TIME ZONE 'Asia/Kolkata')::date), 0),
           ARRAY[coalesce(c.attempted_any, false), coalesce(c.attempted_portal, false), coalesce(c.attempted_whatsapp, false), coalesce(c.attempted_email, false)],
           ARRAY[c.reached_any, c.reached_portal, c.reached_whatsapp, c.reached_email],
           ARRAY[coalesce(c.failed_any, false), coalesce(c.failed_portal, false), coalesce(c.failed_whatsapp, false), coalesce(c.failed_email, false)],
           ARRAY[ap.filed1, ap.filed2, ap.filed3],
           ARRAY[ap.overdue1, ap.overdue2, ap.overdue3],
           coalesce(p.days, '{}'), coalesce(p.amounts, '{}')
    -- The ids joined (a large array compared row by row would be read once per application).
    FROM (SELECT DISTINCT u.id FROM unnest(ids) u (id)) s
    JOIN applications a ON a.id = s.id
    LEFT JOIN application_clocks ac ON ac.application_id = a.id AND ac.kind = 'time_limit' AND NOT ac.is_test
    LEFT JOIN LATERAL (
        SELECT d.id, d.decision, d.created_at, (d.created_at AT TIME ZONE 'Asia/Kolkata')::date AS disposed_on
        FROM deliveries d
        WHERE d.application_id = a.id AND d.decision IN ('approved', 'rejected') AND NOT d.is_test
        ORDER BY d.created_at, d.id LIMIT 1
    ) d ON true
    LEFT JOIN LATERAL (
        SELECT bool_or(r.state <> 'skipped') AS attempted_any,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'portal') AS attempted_portal,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'whatsapp') AS attempted_whatsapp,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'email') AS attempted_email,
               min(r.seconds) AS reached_any,
               min(r.seconds) FILTER (WHERE r.channel = 'portal') AS reached_portal,
               min(r.seconds) FILTER (WHERE r.channel = 'whatsapp') AS reached_whatsapp,
               min(r.seconds) FILTER (WHERE r.channel = 'email') AS reached_email,
               bool_or(r.state = 'failed') AND bool_and(r.seconds IS NULL) AS failed_any,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'portal') AS failed_portal,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'whatsapp') AS failed_whatsapp,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'email') AS failed_email
        FROM (SELECT ca.channel, ca.state,
                     -- greatest() skips NULLs: an attempt that never reached the citizen stays NULL, not 0
                     CASE WHEN r0.reached_at IS NOT NULL
                          THEN greatest(ceil(extract(epoch FROM r0.reached_at - d.created_at)), 0)::integer END AS seconds
              FROM channel_attempts ca
              CROSS JOIN LATERAL (SELECT coalesce(ca.delivered_at, CASE WHEN ca.channel = 'email' THEN ca.sent_at END) AS reached_at) r0
              WHERE ca.delivery_id = d.id) r
    ) c ON d.id IS NOT NULL
    LEFT JOIN LATERAL (
        SELECT min(ap.filed_on) FILTER (WHERE ap.level = 1) AS filed1,
               min(ap.filed_on) FILTER (WHERE ap.level = 2) AS filed2,
               min(ap.filed_on) FILTER (WHERE ap.level = 3) AS filed3,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 1) AS overdue1,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 2) AS overdue2,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 3) AS overdue3
        FROM appeals ap WHERE ap.application_id = a.id AND NOT ap.is_test
    ) ap ON true
    LEFT JOIN LATERAL (
        SELECT array_agg((pe.imposed_at AT TIME ZONE 'Asia/Kolkata')::date ORDER BY pe.id) AS days,
               array_agg(pe.amount ORDER BY pe.id) AS amounts
        FROM appeals ap JOIN appeal_penalties pe ON pe.appeal_id = ap.id
        WHERE ap.application_id = a.id AND NOT ap.is_test
    ) p ON true
    -- An application known only from test deliveries or test clocks is not counted.
    WHERE (EXISTS (SELECT 1 FROM deliveries t WHERE t.application_id = a.id AND NOT t.is_test)
           OR EXISTS (SELECT 1 FROM application_clocks t WHERE t.application_id = a.id AND NOT t.is_test))
$$;

-- The facts of every application, as dashboard_compute gives them one by one, but by whole-table joins (the
-- rebuild: millions of applications would be millions of random reads). A test checks the two agree.
CREATE FUNCTION dashboard_compute_all() RETURNS SETOF dashboard_applications LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT DISTINCT ON (d.application_id) d.application_id, d.id, d.decision, d.created_at,
               (d.created_at AT TIME ZONE 'Asia/Kolkata')::date AS disposed_on
        FROM deliveries d WHERE d.decision IN ('approved', 'rejected') AND NOT d.is_test
        ORDER BY d.application_id, d.created_at, d.id
    ), r AS (
        SELECT d.application_id, ca.channel, ca.state,
               CASE WHEN coalesce(ca.delivered_at, CASE WHEN ca.channel = 'email' THEN ca.sent_at END) IS NOT NULL
                    THEN greatest(ceil(extract(epoch FROM coalesce(ca.delivered_at, CASE WHEN ca.channel = 'email' THEN ca.sent_at END)
                                                         - d.created_at)), 0)::integer END AS seconds
        FROM d JOIN channel_attempts ca ON ca.delivery_id = d.id
    ), c AS (
        SELECT r.application_id,
               bool_or(r.state <> 'skipped') AS attempted_any,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'portal') AS attempted_portal,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'whatsapp') AS attempted_whatsapp,
               bool_or(r.state <> 'skipped') FILTER (WHERE r.channel = 'email') AS attempted_email,
               min(r.seconds) AS reached_any,
               min(r.seconds) FILTER (WHERE r.channel = 'portal') AS reached_portal,
               min(r.seconds) FILTER (WHERE r.channel = 'whatsapp') AS reached_whatsapp,
               min(r.seconds) FILTER (WHERE r.channel = 'email') AS reached_email,
               bool_or(r.state = 'failed') AND bool_and(r.seconds IS NULL) AS failed_any,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'portal') AS failed_portal,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'whatsapp') AS failed_whatsapp,
               bool_or(r.state = 'failed') FILTER (WHERE r.channel = 'email') AS failed_email
        FROM r GROUP BY r.application_id
    ), ap AS (
        SELECT ap.application_id,
               min(ap.filed_on) FILTER (WHERE ap.level = 1) AS filed1,
               min(ap.filed_on) FILTER (WHERE ap.level = 2) AS filed2,
               min(ap.filed_on) FILTER (WHERE ap.level = 3) AS filed3,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 1) AS overdue1,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 2) AS overdue2,
               min((ap.overdue_at AT TIME ZONE 'Asia/Kolkata')::date) FILTER (WHERE ap.level = 3) AS overdue3
        FROM appeals ap WHERE NOT ap.is_test GROUP BY ap.application_id
    ), p AS (
        SELECT ap.application_id, array_agg((pe.imposed_at AT TIME ZONE 'Asia/Kolkata')::date ORDER BY pe.id) AS days,
               array_agg(pe.amount ORDER BY pe.id) AS amounts
        FROM appeals ap JOIN appeal_penalties pe ON pe.appeal_id = ap.id
        WHERE NOT ap.is_test GROUP BY ap.application_id
    ), live AS (
        SELECT application_id FROM deliveries WHERE NOT is_test
        UNION
        SELECT application_id FROM application_clocks WHERE NOT is_test
    )
    SELECT a.id, a.office_code, a.village_code,
           coalesce(ac.started_on, (coalesce(a.completed_at, a.created_at) AT TIME ZONE 'Asia/Kolkata')::date),
           ac.due_on,
           d.disposed_on,
           coalesce(d.decision = 'rejected', false),
           CASE WHEN ac.due_on IS NOT NULL AND d.disposed_on IS NOT NULL THEN d.disposed_on <= ac.due_on END,
           greatest(d.disposed_on - coalesce(ac.started_on, (coalesce(a.completed_at, a.created_at) AT TIME ZONE 'Asia/Kolkata')::date), 0),
           ARRAY[coalesce(c.attempted_any, false), coalesce(c.attempted_portal, false), coalesce(c.attempted_whatsapp, false), coalesce(c.attempted_email, false)],
           ARRAY[c.reached_any, c.reached_portal, c.reached_whatsapp, c.reached_email],
           ARRAY[coalesce(c.failed_any, false), coalesce(c.failed_portal, false), coalesce(c.failed_whatsapp, false), coalesce(c.failed_email, false)],
           ARRAY[ap.filed1, ap.filed2, ap.filed3],
           ARRAY[ap.overdue1, ap.overdue2, ap.overdue3],
           coalesce(p.days, '{}'), coalesce(p.amounts, '{}')
    FROM live JOIN applications a ON a.id = live.application_id
    LEFT JOIN application_clocks ac ON ac.application_id = a.id AND ac.kind = 'time_limit' AND NOT ac.is_test
    LEFT JOIN d ON d.application_id = a.id
    LEFT JOIN c ON c.application_id = a.id
    LEFT JOIN ap ON ap.application_id = a.id
    LEFT JOIN p ON p.application_id = a.id
$$;

-- What one application adds to the counts: (day, measure, key, n).
CREATE FUNCTION dashboard_contributions(f dashboard_applications)
RETURNS TABLE (day date, measure text, key smallint, n bigint) LANGUAGE sql IMMUTABLE AS $$
    SELECT v.day, v.measure, v.key::smallint, v.n::bigint FROM (VALUES
        (f.received_on, 'received', 0, 1),
        (f.disposed_on, 'disposed', 0, 1),
        (CASE WHEN f.rejected THEN f.disposed_on END, 'rejected', 0, 1),
        (CASE WHEN f.within_limit IS NOT NULL THEN f.disposed_on END, 'timed', 0, 1),
        (CASE WHEN f.within_limit THEN f.disposed_on END, 'within_limit', 0, 1),
        (f.disposed_on, 'disposal_days', least(f.disposal_days, 366), 1),
        (CASE WHEN f.disposed_on IS NULL THEN f.due_on END, 'open_due', 0, 1)
    ) v (day, measure, key, n) WHERE v.day IS NOT NULL
    UNION ALL
    SELECT f.disposed_on, m.measure, (c.i - 1)::smallint, 1
    FROM generate_series(1, 4) c (i)
    CROSS JOIN LATERAL (VALUES
        ('outcomes', f.attempted[c.i]),
        ('reached_10s', f.reached_after[c.i] <= 10),
        ('reached_1h', f.reached_after[c.i] <= 3600),
        ('reached_1d', f.reached_after[c.i] <= 86400),
        ('failed', f.failed[c.i])
    ) m (measure, counted)
    WHERE f.disposed_on IS NOT NULL AND f.attempted[c.i] AND m.counted
    UNION ALL
    SELECT x.day, x.measure, x.level::smallint, 1
    FROM (SELECT f.appeal_filed[l], 'appeals', l FROM generate_series(1, 3) l
          UNION ALL SELECT f.appeal_overdue[l], 'appeals_overdue', l FROM generate_series(1, 3) l) x (day, measure, level)
    WHERE x.day IS NOT NULL
    UNION ALL
    SELECT p.day, m.measure, 0::smallint, m.n
    FROM unnest(f.penalty_on, f.penalty_amount) p (day, amount)
    CROSS JOIN LATERAL (VALUES ('penalties', 1::bigint), ('penalty_rupees', p.amount::bigint)) m (measure, n)
$$;

-- One group of contributions: per office and village (either may be NULL), day, measure and key.
CREATE TYPE dashboard_leaf AS (office_code text, village_code text, day date, measure text, key smallint, n bigint);

-- Sums of two arrays of counts, element by element, and of two day histograms.
CREATE FUNCTION dashboard_add(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY u (x, y, i)
$$;
CREATE FUNCTION dashboard_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, t) FILTER (WHERE t <> 0), '{}')
    FROM (SELECT k, sum(v::bigint) AS t FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) e (k, v)
          GROUP BY k) s
$$;

-- The offices whose counts an application of `office` and `village` adds to: every office above either, each once,
-- and whether it is a village (a village has month rows only).
CREATE FUNCTION dashboard_places(office text, village text) RETURNS TABLE (code text, is_village boolean)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT oa.ancestor_code, o.type = 'village' FROM office_ancestors oa JOIN offices o ON o.code = oa.ancestor_code
    WHERE oa.office_code IN (office, village)
$$;

-- Adds the groups of contributions in the transaction's work table (pg_temp.dashboard_work, of dashboard_leaf rows,
-- made by the caller) to the counts of every office they are placed in: day rows (`days`), month rows (`months`:
-- the groups may already be per month, dated on its first day) and the pending (`pending`). The places are looked
-- up once per office and village pair.
CREATE FUNCTION dashboard_spread(days boolean, months boolean, pending boolean) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    WITH pairs AS (
        SELECT DISTINCT w.office_code, coalesce(w.village_code, '') AS village_code FROM pg_temp.dashboard_work w
    ), places AS (
        SELECT p.office_code, p.village_code, d.code, d.is_village
        FROM pairs p CROSS JOIN LATERAL dashboard_places(p.office_code, nullif(p.village_code, '')) d
    ), placed AS (
        SELECT pl.code, pl.is_village, l.day, l.measure, l.key, l.n
        FROM pg_temp.dashboard_work l JOIN places pl ON pl.office_code = l.office_code AND pl.village_code = coalesce(l.village_code, '')
    ), pending AS (
        INSERT INTO dashboard_pending AS dp (office_code, due_on, n)
        SELECT code, day, sum(n) FROM placed WHERE measure = 'open_due' AND pending GROUP BY 1, 2
        ON CONFLICT (office_code, due_on) DO UPDATE SET n = dp.n + excluded.n
    )
    INSERT INTO dashboard_counts AS dc (office_code, grain, period, received, disposed, rejected, timed, within_limit, appeals_1, appeals_2, appeals_3, appeals_overdue, penalties, penalty_rupees, outcomes, reached_10s, reached_1h, reached_1d, failed, disposal_days)
    SELECT x.code, x.grain, x.period,
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'received'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'disposed'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'rejected'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'timed'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'within_limit'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'appeals' AND x.key = 1), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'appeals' AND x.key = 2), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'appeals' AND x.key = 3), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'appeals_overdue'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'penalties'), 0),
           coalesce(sum(x.n) FILTER (WHERE x.measure = 'penalty_rupees'), 0),
           ARRAY[coalesce(sum(x.n) FILTER (WHERE x.measure = 'outcomes' AND x.key = 0), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'outcomes' AND x.key = 1), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'outcomes' AND x.key = 2), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'outcomes' AND x.key = 3), 0)],
           ARRAY[coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_10s' AND x.key = 0), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_10s' AND x.key = 1), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_10s' AND x.key = 2), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_10s' AND x.key = 3), 0)],
           ARRAY[coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1h' AND x.key = 0), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1h' AND x.key = 1), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1h' AND x.key = 2), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1h' AND x.key = 3), 0)],
           ARRAY[coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1d' AND x.key = 0), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1d' AND x.key = 1), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1d' AND x.key = 2), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'reached_1d' AND x.key = 3), 0)],
           ARRAY[coalesce(sum(x.n) FILTER (WHERE x.measure = 'failed' AND x.key = 0), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'failed' AND x.key = 1), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'failed' AND x.key = 2), 0), coalesce(sum(x.n) FILTER (WHERE x.measure = 'failed' AND x.key = 3), 0)],
           coalesce(jsonb_object_agg(x.key::text, x.n) FILTER (WHERE x.measure = 'disposal_days'), '{}')
    FROM (SELECT p.code, g.grain, g.period, p.measure, p.key, sum(p.n) AS n
          FROM placed p CROSS JOIN LATERAL (VALUES ('d'::"char", p.day), ('m'::"char", date_trunc('month', p.day)::date)) g (grain, period)
          WHERE p.measure <> 'open_due' AND NOT (p.is_village AND g.grain = 'd')
            AND CASE g.grain WHEN 'd' THEN days ELSE months END
          GROUP BY 1, 2, 3, 4, 5) x
    GROUP BY 1, 2, 3
    ON CONFLICT (office_code, grain, period) DO UPDATE SET
        received = dc.received + excluded.received,
        disposed = dc.disposed + excluded.disposed,
        rejected = dc.rejected + excluded.rejected,
        timed = dc.timed + excluded.timed,
        within_limit = dc.within_limit + excluded.within_limit,
        appeals_1 = dc.appeals_1 + excluded.appeals_1,
        appeals_2 = dc.appeals_2 + excluded.appeals_2,
        appeals_3 = dc.appeals_3 + excluded.appeals_3,
        appeals_overdue = dc.appeals_overdue + excluded.appeals_overdue,
        penalties = dc.penalties + excluded.penalties,
        penalty_rupees = dc.penalty_rupees + excluded.penalty_rupees,
        outcomes = dashboard_add(dc.outcomes, excluded.outcomes),
        reached_10s = dashboard_add(dc.reached_10s, excluded.reached_10s),
        reached_1h = dashboard_add(dc.reached_1h, excluded.reached_1h),
        reached_1d = dashboard_add(dc.reached_1d, excluded.reached_1d),
        failed = dashboard_add(dc.failed, excluded.failed),
        disposal_days = dashboard_add(dc.disposal_days, excluded.disposal_days);
END $f$;

-- Applies the difference between the facts `olds` and `news` to the counts: contributions that did not change
-- cancel out before they are spread.
CREATE FUNCTION dashboard_apply(olds dashboard_applications[], news dashboard_applications[]) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS dashboard_work OF dashboard_leaf ON COMMIT DROP;
    INSERT INTO pg_temp.dashboard_work
    SELECT f.office_code, f.village_code, c.day, c.measure, c.key, sum(f.sign * c.n)
    FROM (SELECT o.*, -1 AS sign FROM unnest(olds) o UNION ALL SELECT w.*, 1 FROM unnest(news) w) f
    CROSS JOIN LATERAL dashboard_contributions(ROW(f.application_id, f.office_code, f.village_code, f.received_on,
        f.due_on, f.disposed_on, f.rejected, f.within_limit, f.disposal_days, f.attempted, f.reached_after, f.failed,
        f.appeal_filed, f.appeal_overdue, f.penalty_on, f.penalty_amount)::dashboard_applications) c
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(f.sign * c.n) <> 0;
    PERFORM dashboard_spread(true, true, true);
    DROP TABLE pg_temp.dashboard_work;
END $f$;

-- The contributions of the applications placed in `place` (by their village or their office), per day: for the day
-- and week pages of a village. open_due whatever its day, the others from `first` to `last`.
CREATE FUNCTION dashboard_fact_sums(place text, first date, last date)
RETURNS TABLE (day date, measure text, key smallint, n bigint) LANGUAGE sql STABLE AS $$
    WITH placed AS (
        SELECT f.application_id FROM office_ancestors oa JOIN dashboard_applications f ON f.village_code = oa.office_code
        WHERE oa.ancestor_code = place
        UNION
        SELECT f.application_id FROM office_ancestors oa JOIN dashboard_applications f ON f.office_code = oa.office_code
        WHERE oa.ancestor_code = place
    )
    SELECT c.day, c.measure, c.key, sum(c.n)::bigint
    FROM placed p JOIN dashboard_applications f ON f.application_id = p.application_id
    CROSS JOIN LATERAL dashboard_contributions(f) c
    WHERE c.measure = 'open_due' OR c.day BETWEEN first AND last
    GROUP BY 1, 2, 3
$$;

-- One step of the refresher: takes up to `batch` noted changes, recomputes the facts of the applications they
-- name and applies the difference. Returns how many changes it took (fewer than `batch`: caught up). The caller
-- holds the refresher's lock. Changes are taken before the facts are read, so a change committed meanwhile stays
-- noted for the next step and is never lost.
-- JIT off: the planner's estimate for a batch of ids is far above what it reads, and compiling the plan would
-- cost more than running it.
CREATE FUNCTION dashboard_refresh(batch integer) RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    taken integer;
    ids bigint[];
    olds dashboard_applications[];
    news dashboard_applications[];
BEGIN
    IF (SELECT rebuild_needed FROM dashboard_state) THEN
        PERFORM dashboard_rebuild();
        RETURN 0;
    END IF;
    WITH t AS (
        DELETE FROM dashboard_changes WHERE ctid = ANY (ARRAY(SELECT ctid FROM dashboard_changes LIMIT batch))
        RETURNING application_id, delivery_id
    ), s AS (
        SELECT t.application_id FROM t WHERE t.application_id IS NOT NULL
        UNION
        SELECT d.application_id FROM t JOIN deliveries d ON d.id = t.delivery_id
        WHERE d.decision IN ('approved', 'rejected') AND NOT d.is_test
    )
    SELECT (SELECT count(*) FROM t), (SELECT array_agg(s.application_id) FROM s) INTO taken, ids;
    IF ids IS NOT NULL THEN
        SELECT array_agg(f) INTO olds FROM dashboard_applications f WHERE f.application_id = ANY (ids);
        DELETE FROM dashboard_applications WHERE application_id = ANY (ids);
        WITH n AS (INSERT INTO dashboard_applications SELECT * FROM dashboard_compute(ids) RETURNING *)
        SELECT array_agg(ROW(n.*)::dashboard_applications) INTO news FROM n;
        PERFORM dashboard_apply(coalesce(olds, '{}'), coalesce(news, '{}'));
    END IF;
    UPDATE dashboard_state SET refreshed_at = now();
    RETURN taken;
END $$;

-- Every fact and count again from the domain tables (the first refresh, and after the office hierarchy changed):
-- the contributions summed per office, village and day first, then spread as day rows (a village standing for the
-- office above it), as month rows (summed per month first) and as the pending.
CREATE FUNCTION dashboard_rebuild() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    DELETE FROM dashboard_changes;
    DELETE FROM dashboard_counts;
    DELETE FROM dashboard_pending;
    DELETE FROM dashboard_applications;
    INSERT INTO dashboard_applications SELECT * FROM dashboard_compute_all();
    CREATE TEMP TABLE dashboard_all ON COMMIT DROP AS
    SELECT f.office_code, f.village_code, c.day, c.measure, c.key, sum(c.n) AS n
    FROM dashboard_applications f CROSS JOIN LATERAL dashboard_contributions(f) c
    GROUP BY 1, 2, 3, 4, 5;
    -- Day rows: a village stands for the office above it (villages have none), so far fewer groups.
    CREATE TEMP TABLE dashboard_work ON COMMIT DROP AS
    SELECT a.office_code, o.parent_code AS village_code, a.day, a.measure, a.key, sum(a.n)::bigint AS n
    FROM dashboard_all a LEFT JOIN offices o ON o.code = a.village_code
    WHERE a.measure <> 'open_due' GROUP BY 1, 2, 3, 4, 5;
    ANALYZE pg_temp.dashboard_work;
    PERFORM dashboard_spread(true, false, false);
    DROP TABLE pg_temp.dashboard_work;
    -- Month rows: per month first.
    CREATE TEMP TABLE dashboard_work ON COMMIT DROP AS
    SELECT a.office_code, a.village_code, date_trunc('month', a.day)::date AS day, a.measure, a.key, sum(a.n)::bigint AS n
    FROM dashboard_all a WHERE a.measure <> 'open_due' GROUP BY 1, 2, 3, 4, 5;
    ANALYZE pg_temp.dashboard_work;
    PERFORM dashboard_spread(false, true, false);
    DROP TABLE pg_temp.dashboard_work;
    -- The pending, per due day.
    CREATE TEMP TABLE dashboard_work ON COMMIT DROP AS SELECT * FROM dashboard_all WHERE measure = 'open_due';
    PERFORM dashboard_spread(false, false, true);
    DROP TABLE pg_temp.dashboard_work;
    DROP TABLE dashboard_all;
    UPDATE dashboard_state SET rebuild_needed = false, refreshed_at = now();
END $$;

CREATE FUNCTION dashboard_note_application() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (application_id) VALUES (NEW.application_id);
    RETURN NULL;
END $$;
CREATE FUNCTION dashboard_note_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (application_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE FUNCTION dashboard_note_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (delivery_id) VALUES (NEW.delivery_id);
    RETURN NULL;
END $$;
CREATE FUNCTION dashboard_note_penalty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (application_id) SELECT application_id FROM appeals WHERE id = NEW.appeal_id;
    RETURN NULL;
END $$;

-- Applications on update only: a new application counts once it has a live delivery or clock, whose own triggers
-- note it (an insert note here would be a second one for every outcome).
CREATE TRIGGER dashboard_applications_changed AFTER UPDATE OF office_code, village_code, completed_at
    ON applications FOR EACH ROW EXECUTE FUNCTION dashboard_note_id();
CREATE TRIGGER dashboard_clocks_changed AFTER INSERT OR UPDATE OF started_on, due_on, is_test
    ON application_clocks FOR EACH ROW WHEN (NEW.kind = 'time_limit') EXECUTE FUNCTION dashboard_note_application();
CREATE TRIGGER dashboard_deliveries_added AFTER INSERT ON deliveries
    FOR EACH ROW WHEN (NEW.decision IN ('approved', 'rejected') AND NOT NEW.is_test)
    EXECUTE FUNCTION dashboard_note_application();
CREATE TRIGGER dashboard_attempts_added AFTER INSERT ON channel_attempts
    FOR EACH ROW EXECUTE FUNCTION dashboard_note_delivery();
CREATE TRIGGER dashboard_attempts_changed AFTER UPDATE ON channel_attempts
    FOR EACH ROW WHEN (OLD.delivered_at IS DISTINCT FROM NEW.delivered_at
                       OR (NEW.channel = 'email' AND OLD.sent_at IS DISTINCT FROM NEW.sent_at)
                       OR (NEW.state IN ('failed', 'skipped') AND OLD.state IS DISTINCT FROM NEW.state)
                       OR (OLD.state = 'skipped' AND NEW.state <> 'skipped'))
    EXECUTE FUNCTION dashboard_note_delivery();
CREATE TRIGGER dashboard_appeals_changed AFTER INSERT OR UPDATE OF overdue_at, is_test
    ON appeals FOR EACH ROW EXECUTE FUNCTION dashboard_note_application();
CREATE TRIGGER dashboard_penalties_added AFTER INSERT ON appeal_penalties
    FOR EACH ROW EXECUTE FUNCTION dashboard_note_penalty();

-- Whatever is already recorded is counted at the first refresh (rebuild_needed starts true).
