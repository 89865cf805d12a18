-- Status callbacks to the portal: one URL and signing secret per department; each event is stored with the
-- exact bytes sent, so every retry signs and sends the same body.

ALTER TABLE departments ADD COLUMN callback_secret text;

CREATE TABLE portal_events (
    id            uuid        PRIMARY KEY,
    department    text        NOT NULL REFERENCES departments (code),
    delivery_id   uuid        NOT NULL REFERENCES deliveries (id),
    type          text        NOT NULL,
    body          text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 0,
    last_status   integer,
    delivered_at  timestamptz
);
CREATE INDEX portal_events_delivery_idx ON portal_events (delivery_id, created_at);
