-- Appeals under the Right to Public Services Act: the service catalogue (time limits and authorities per
-- service, office, attribute band and effective date), calendars for working-day arithmetic, time-limit
-- extensions, the application clock, appeals at three levels, hearings, decisions, penalties and the
-- application's history. Every period is data per state; the Maharashtra defaults are inserted below.

ALTER TABLE departments ADD COLUMN state text NOT NULL DEFAULT 'MH' CHECK (state ~ '^[A-Z]{2}$');

-- Per state and level: the filing window, the late-filing limit (with a reason), the decision period and
-- the penalty range. Level 1 = first appellate authority, 2 = second, 3 = the State Commission.
CREATE TABLE appeal_rules (
    state                text     NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
    level                smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
    authority            text     NOT NULL,                 -- 'FAA', 'SAA', 'COMMISSION'
    file_days            integer  NOT NULL CHECK (file_days > 0),
    -- Without an order from the level below: the window ends this many days after that appeal was filed
    -- (MH second appeal: 45). NULL: it ends file_days after the lower level's decision deadline.
    no_order_file_days   integer  CHECK (no_order_file_days > 0),
    late_days            integer  CHECK (late_days > 0),    -- NULL: no late filing at this level
    decide_days          integer  NOT NULL CHECK (decide_days > 0),
    day_unit             text     NOT NULL DEFAULT 'calendar' CHECK (day_unit IN ('calendar', 'working')),
    penalty_min          integer  NOT NULL DEFAULT 0,
    penalty_max          integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (state, level),
    CHECK (late_days IS NULL OR late_days > file_days)
);

-- The State Commission's decision period was not found in the sources: 90 days here, a setting to change.
INSERT INTO appeal_rules (state, level, authority, file_days, no_order_file_days, late_days, decide_days, penalty_min, penalty_max) VALUES
    ('MH', 1, 'FAA', 30, NULL, 90, 30, 500, 5000),
    ('MH', 2, 'SAA', 30, 45, NULL, 45, 500, 5000),
    ('MH', 3, 'COMMISSION', 60, NULL, NULL, 90, 500, 5000);

-- Per-state switches (Haryana files the first appeal itself when the time limit lapses).
CREATE TABLE appeal_state_settings (
    state             text    PRIMARY KEY CHECK (state ~ '^[A-Z]{2}$'),
    auto_first_appeal boolean NOT NULL DEFAULT false,
    appeal_url        text    -- the portal's appeal page, {application_id} replaced
);
INSERT INTO appeal_state_settings (state) VALUES ('MH');

-- Calendars for working days: the weekly days off (ISO: 1 = Monday … 7 = Sunday) and the holidays.
CREATE TABLE calendars (
    code          text       PRIMARY KEY CHECK (code ~ '^[A-Z0-9_-]{2,32}$'),
    weekly_off    smallint[] NOT NULL DEFAULT '{6,7}',
    description   text       NOT NULL DEFAULT ''
);
INSERT INTO calendars (code, description) VALUES ('MH', 'Maharashtra state government offices (five-day week)');

CREATE TABLE holidays (
    calendar  text NOT NULL REFERENCES calendars (code),
    day       date NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (calendar, day)
);

-- Offices: which state and calendar they follow. An application's office missing here uses its
-- department's state calendar.
CREATE TABLE offices (
    code      text PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
    state     text NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
    calendar  text NOT NULL REFERENCES calendars (code),
    name      text NOT NULL DEFAULT ''
);

-- Time-limit extensions (elections, calamities): 'pause' stops running clocks for the period; 'extend'
-- adds extra_days to every clock running during it. NULL office or service: all of them in the state.
CREATE TABLE time_limit_extensions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state         text    NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
    office_code   text,
    service_code  text,
    kind          text    NOT NULL CHECK (kind IN ('pause', 'extend')),
    starts_on     date    NOT NULL,
    ends_on       date    NOT NULL CHECK (ends_on >= starts_on),
    extra_days    integer NOT NULL DEFAULT 0 CHECK (extra_days >= 0),
    reason        text    NOT NULL CHECK (length(reason) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'pause' OR extra_days > 0)
);

-- The service catalogue.
CREATE TABLE services (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_-]{2,64}$'),
    department  text NOT NULL,
    name_en     text NOT NULL,
    name_mr     text NOT NULL,
    name_hi     text NOT NULL,
    name_te     text NOT NULL
);

-- Per service, office (NULL: any office), band of an attribute such as the amount (NULL: any) and
-- effective date: the time limit and the three authorities (role and office; NULL office: the
-- application's own office).
CREATE TABLE service_rules (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_code      text    NOT NULL REFERENCES services (code),
    office_code       text,
    band_min          numeric,
    band_max          numeric,
    effective_from    date    NOT NULL,
    time_limit_days   integer NOT NULL CHECK (time_limit_days > 0),
    day_unit          text    NOT NULL CHECK (day_unit IN ('calendar', 'working')),
    do_role           text    NOT NULL,
    do_office         text,
    faa_role          text    NOT NULL,
    faa_office        text,
    saa_role          text    NOT NULL,
    saa_office        text,
    UNIQUE NULLS NOT DISTINCT (service_code, office_code, band_min, band_max, effective_from)
);

-- The time limit running on an application: from the portal's complete time, or (kind 'directed') from an
-- appellate order that directed the officer to deliver.
CREATE TABLE application_clocks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint      NOT NULL REFERENCES applications (id),
    kind            text        NOT NULL CHECK (kind IN ('time_limit', 'directed')),
    rule_id         bigint      REFERENCES service_rules (id),
    appeal_id       bigint,     -- for 'directed': the order that started it
    started_on      date        NOT NULL,
    time_limit_days integer     NOT NULL,
    day_unit        text        NOT NULL CHECK (day_unit IN ('calendar', 'working')),
    due_on          date        NOT NULL,
    state           text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'met', 'lapsed')),
    lapsed_at       timestamptz,
    is_test         boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX application_clocks_time_limit_idx ON application_clocks (application_id) WHERE kind = 'time_limit';
CREATE INDEX application_clocks_running_idx ON application_clocks (due_on) WHERE state = 'running';

ALTER TABLE applications
    ADD COLUMN completed_at timestamptz,
    ADD COLUMN band_value   numeric;

CREATE TABLE appeals (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_number     text        NOT NULL UNIQUE,
    application_id    bigint      NOT NULL REFERENCES applications (id),
    level             smallint    NOT NULL CHECK (level BETWEEN 1 AND 3),
    trigger           text        NOT NULL CHECK (trigger IN ('rejection', 'lapse', 'no_order', 'order', 'non_compliance')),
    authority_role    text        NOT NULL,
    authority_office  text        NOT NULL,
    filed_at          timestamptz NOT NULL,
    filed_on          date        NOT NULL,
    filed_via         text        NOT NULL CHECK (filed_via IN ('api', 'whatsapp', 'email', 'auto')),
    grounds           text        NOT NULL CHECK (length(grounds) BETWEEN 1 AND 4000),
    relief            text,
    delay_reason      text,
    window_ends_on    date        NOT NULL,
    is_late           boolean     NOT NULL,
    decide_by         date        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('awaiting_admission', 'pending', 'hearing_scheduled', 'decided', 'not_admitted')),
    hearing_at        timestamptz,
    decision          text        CHECK (decision IN ('allowed', 'dismissed')),
    decision_reasons  text[],
    directed_days     integer,
    decided_at        timestamptz,
    decided_on        date,
    order_document_id bigint      REFERENCES documents (id),
    overdue_at        timestamptz,
    is_test           boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, level),
    CHECK (NOT is_late OR delay_reason IS NOT NULL)
);
CREATE INDEX appeals_authority_idx ON appeals (authority_office, authority_role, status);
CREATE INDEX appeals_open_deadline_idx ON appeals (decide_by) WHERE status IN ('awaiting_admission', 'pending', 'hearing_scheduled') AND overdue_at IS NULL;
CREATE SEQUENCE appeal_number_seq;

CREATE TABLE appeal_penalties (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id       bigint      NOT NULL REFERENCES appeals (id),
    officer_role    text        NOT NULL,
    officer_office  text        NOT NULL,
    amount          integer     NOT NULL CHECK (amount > 0),
    reason          text        NOT NULL CHECK (length(reason) > 0),
    imposed_by      text        NOT NULL,
    imposed_at      timestamptz NOT NULL
);

-- Officer keys: an officer acts for one role at one office. Only the SHA-256 of the key is stored.
CREATE TABLE officer_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix        text        NOT NULL UNIQUE,
    secret_hash   bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
    role          text        NOT NULL CHECK (length(role) BETWEEN 1 AND 64),
    office_code   text        NOT NULL CHECK (length(office_code) BETWEEN 1 AND 64),
    officer_name  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- The application's history: one row per state change, never updated.
CREATE TABLE application_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint      NOT NULL REFERENCES applications (id),
    appeal_id       bigint      REFERENCES appeals (id),
    event           text        NOT NULL,
    actor           text        NOT NULL,
    detail          jsonb       NOT NULL DEFAULT '{}',
    at              timestamptz NOT NULL
);
CREATE INDEX application_history_idx ON application_history (application_id, id);

-- Notices from the appeals service go to the citizen through the dispatcher like any outcome: decision
-- 'appeal' with the notice in the reasons; they carry no department API key.
ALTER TABLE deliveries ALTER COLUMN api_key_id DROP NOT NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_decision_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_decision_check CHECK (decision IN ('approved', 'rejected', 'other', 'appeal'));
ALTER TABLE deliveries ADD COLUMN appeal_id bigint REFERENCES appeals (id), ADD COLUMN notice text;

ALTER TABLE message_templates DROP CONSTRAINT message_templates_kind_check;
ALTER TABLE message_templates ADD CONSTRAINT message_templates_kind_check CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal'));
INSERT INTO message_templates (kind, channel, language, subject, body_text) VALUES
('appeal', 'email', 'en', 'Right to Public Services: application {{application_id}}',
 E'Dear citizen,\n\n{{reasons}}\n\nApplication {{application_id}} for {{service}}, {{department}} ({{office}}).\n\nSent by Dakiya on behalf of {{department}}.'),
('appeal', 'email', 'mr', 'लोकसेवा हक्क: अर्ज {{application_id}}',
 E'प्रिय नागरिक,\n\n{{reasons}}\n\n{{service}} साठीचा अर्ज {{application_id}}, {{department}} ({{office}}).\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('appeal', 'email', 'hi', 'लोक सेवा अधिकार: आवेदन {{application_id}}',
 E'प्रिय नागरिक,\n\n{{reasons}}\n\n{{service}} के लिए आवेदन {{application_id}}, {{department}} ({{office}})।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('appeal', 'email', 'te', 'ప్రజా సేవల హక్కు: దరఖాస్తు {{application_id}}',
 E'ప్రియమైన పౌరులకు,\n\n{{reasons}}\n\n{{service}} కోసం దరఖాస్తు {{application_id}}, {{department}} ({{office}}).\n\n{{department}} తరఫున డాకియా పంపింది.');

ALTER TABLE whatsapp_templates DROP CONSTRAINT whatsapp_templates_kind_check;
ALTER TABLE whatsapp_templates ADD CONSTRAINT whatsapp_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'appeal_order'));
-- Body parameters: application id, service, the notice. appeal_order carries the order PDF as its header.
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header)
SELECT kind, language, name, 3, header
FROM (VALUES ('appeal', 'dakiya_appeal_update', false), ('appeal_order', 'dakiya_appeal_order', true)) AS t(kind, name, header),
     (VALUES ('en'), ('mr'), ('hi'), ('te')) AS l(language);

-- The rejection template carries a "File an appeal" quick-reply button.
ALTER TABLE whatsapp_templates ADD COLUMN quick_reply_buttons smallint NOT NULL DEFAULT 0 CHECK (quick_reply_buttons BETWEEN 0 AND 10);
UPDATE whatsapp_templates SET quick_reply_buttons = 1 WHERE kind = 'rejected';

-- The WhatsApp conversation learns the appeal steps.
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_state_check;
ALTER TABLE whatsapp_conversations ADD CONSTRAINT whatsapp_conversations_state_check
    CHECK (state IN ('menu', 'awaiting_application_id', 'appeal_application', 'appeal_grounds', 'appeal_confirm'));
ALTER TABLE whatsapp_conversations ADD COLUMN draft jsonb;
