-- The WhatsApp conversation with a citizen's number: their chosen language and where they are in the menu.
CREATE TABLE whatsapp_conversations (
    number      text        PRIMARY KEY,
    language    text        CHECK (language IN ('en', 'mr', 'hi', 'te')),
    state       text        NOT NULL DEFAULT 'menu' CHECK (state IN ('menu', 'awaiting_application_id')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
