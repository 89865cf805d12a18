-- The standard dashboard's numbers (issue 17), kept off the delivery path:
-- 1. Row triggers (with WHEN, so an irrelevant update costs nothing) note which application or delivery changed in
--    dashboard_changes: a heap insert, no index, in the writer's own transaction.
-- 2. The refresher (appeals-service, one at a time) takes a batch of changes, recomputes each application's facts
--    (dashboard_applications: one row per application, everything the measures need) from the domain tables, and
--    applies the difference between the old and the new facts to dashboard_counts: per office of the hierarchy
--    (every ancestor of the application's office and of its village, each once), per day and per month, per
--    measure. A page sums at most 31 day rows or 12 month rows per office, never the history.
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

-- The sums. grain 'd': period is the day; 'm': the first day of the month; 'o' (applications pending, measure
-- open_due): period is the due day. key: a channel (0 any, 1 portal,
-- 2 WhatsApp, 3 email), an appeal level, or the days to disposal (366: a year or more); else 0.
CREATE TABLE dashboard_counts (
    office_code  text     NOT NULL,
    grain        "char"   NOT NULL CHECK (grain IN ('d', 'm', 'o')),
    period       date     NOT NULL,
    measure      text     NOT NULL,
    key          smallint NOT NULL,
    n            bigint   NOT NULL,
    PRIMARY KEY (office_code, grain, period, measure, key)
);

-- One row: whether the counts must be rebuilt from the facts (the office hierarchy changed), and when the
-- refresher last caught up.
CREATE TABLE dashboard_state (
    singleton       boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    rebuild_needed  boolean     NOT NULL DEFAULT true,
    refreshed_at    timestamptz
);
INSERT INTO dashboard_state DEFAULT VALUES;

-- The facts of the applications `ids`, computed from the domain tables.
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
    FROM applications a
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
    WHERE (ids IS NULL OR a.id = ANY (ids))
      -- An application known only from test deliveries or test clocks is not counted.
      AND (EXISTS (SELECT 1 FROM deliveries t WHERE t.application_id = a.id AND NOT t.is_test)
           OR EXISTS (SELECT 1 FROM application_clocks t WHERE t.application_id = a.id AND NOT t.is_test))
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

-- Where a contribution is summed: a day's row and its month's row; applications pending by due day in grain 'o'.
CREATE FUNCTION dashboard_grains(measure text, day date) RETURNS TABLE (grain "char", period date)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'o'::"char", day WHERE measure = 'open_due'
    UNION ALL
    SELECT v.grain, v.period FROM (VALUES ('d'::"char", day), ('m'::"char", date_trunc('month', day)::date)) v (grain, period)
    WHERE measure <> 'open_due'
$$;

-- Applies the difference between the facts `olds` and `news` to the counts: contributions that did not change
-- cancel out before they are spread over every office above the application's office and its village (each office
-- once), per day and per month.
CREATE FUNCTION dashboard_apply(olds dashboard_applications[], news dashboard_applications[]) RETURNS void
LANGUAGE sql AS $$
    WITH leaf AS (
        SELECT f.office_code, f.village_code, c.day, c.measure, c.key, sum(f.sign * c.n) AS n
        FROM (SELECT o.*, -1 AS sign FROM unnest(olds) o UNION ALL SELECT w.*, 1 FROM unnest(news) w) f
        CROSS JOIN LATERAL dashboard_contributions(ROW(f.application_id, f.office_code, f.village_code, f.received_on,
            f.due_on, f.disposed_on, f.rejected, f.within_limit, f.disposal_days, f.attempted, f.reached_after, f.failed,
            f.appeal_filed, f.appeal_overdue, f.penalty_on, f.penalty_amount)::dashboard_applications) c
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(f.sign * c.n) <> 0
    )
    INSERT INTO dashboard_counts AS dc (office_code, grain, period, measure, key, n)
    SELECT p.ancestor_code, g.grain, g.period, l.measure, l.key, sum(l.n)
    FROM leaf l
    CROSS JOIN LATERAL (SELECT DISTINCT oa.ancestor_code FROM office_ancestors oa
                        WHERE oa.office_code IN (l.office_code, l.village_code)) p
    CROSS JOIN LATERAL dashboard_grains(l.measure, l.day) g
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (office_code, grain, period, measure, key) DO UPDATE SET n = dc.n + excluded.n
$$;

-- One step of the refresher: takes up to `batch` noted changes, recomputes the facts of the applications they
-- name and applies the difference. Returns how many changes it took (fewer than `batch`: caught up). The caller
-- holds the refresher's lock. Changes are taken before the facts are read, so a change committed meanwhile stays
-- noted for the next step and is never lost.
CREATE FUNCTION dashboard_refresh(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
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

-- Every fact and count again from the domain tables (the first refresh, and after the office hierarchy changed).
-- Counts are summed per office and village first, then spread over the hierarchy.
CREATE FUNCTION dashboard_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dashboard_changes;
    DELETE FROM dashboard_counts;
    DELETE FROM dashboard_applications;
    INSERT INTO dashboard_applications SELECT * FROM dashboard_compute(NULL);
    WITH leaf AS (
        SELECT f.office_code, f.village_code, c.day, c.measure, c.key, sum(c.n) AS n
        FROM dashboard_applications f CROSS JOIN LATERAL dashboard_contributions(f) c
        GROUP BY 1, 2, 3, 4, 5
    ), placed AS (
        SELECT DISTINCT l.office_code, l.village_code, oa.ancestor_code
        FROM (SELECT DISTINCT office_code, village_code FROM leaf) l
        JOIN office_ancestors oa ON oa.office_code IN (l.office_code, l.village_code)
    )
    INSERT INTO dashboard_counts (office_code, grain, period, measure, key, n)
    SELECT p.ancestor_code, g.grain, g.period, l.measure, l.key, sum(l.n)
    FROM leaf l
    JOIN placed p ON p.office_code = l.office_code AND p.village_code IS NOT DISTINCT FROM l.village_code
    CROSS JOIN LATERAL dashboard_grains(l.measure, l.day) g
    GROUP BY 1, 2, 3, 4, 5;
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

CREATE TRIGGER dashboard_applications_changed AFTER INSERT OR UPDATE OF office_code, village_code, completed_at
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
