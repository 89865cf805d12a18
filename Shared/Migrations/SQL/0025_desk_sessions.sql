-- The officers' desk (issue 17): an officer signs in with their officer key and gets a session (a cookie holding a
-- random token; only its SHA-256 is kept here). A session ends at sign-out, after 30 minutes unused, 8 hours after
-- sign-in, or when its officer key is revoked. Each carries the secret its forms' CSRF tokens are made from.
CREATE TABLE desk_sessions (
    token_hash      bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    officer_key_id  bigint      NOT NULL REFERENCES officer_keys (id),
    csrf_secret     bytea       NOT NULL CHECK (length(csrf_secret) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz
);
CREATE INDEX desk_sessions_key_idx ON desk_sessions (officer_key_id);
