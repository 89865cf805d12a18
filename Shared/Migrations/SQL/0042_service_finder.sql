-- Finding a service (issue 19): what a citizen needs to apply for any service of the catalogue, and a search over
-- the services' names and synonyms in every language that forgives spelling mistakes.
--
-- The details are data per service, imported with the catalogue (dakiya-admin catalogue details|documents|roles):
-- the documents required (codes of catalogue_documents, named in every language), the fee, the link to apply and the
-- WhatsApp Flow where the department offers one, where the values come from (`source`) and which of them are
-- illustrative (`sample_values`: shown to the citizen as sample data, never as official).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Officer roles (the catalogue's do_role, faa_role, saa_role) and documents, named in every language: the English
-- name on the row (the fallback), the others in their own table as for services.
CREATE TABLE officer_roles (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]{2,64}$'),
    name_en  text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200)
);
CREATE TABLE officer_role_names (
    role_code text NOT NULL REFERENCES officer_roles (code) ON DELETE CASCADE,
    language  text NOT NULL REFERENCES languages (code),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (role_code, language)
);
CREATE TABLE catalogue_documents (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]{2,64}$'),
    name_en  text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200)
);
CREATE TABLE catalogue_document_names (
    document_code text NOT NULL REFERENCES catalogue_documents (code) ON DELETE CASCADE,
    language      text NOT NULL REFERENCES languages (code),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (document_code, language)
);

CREATE TABLE service_details (
    service_code      text    PRIMARY KEY REFERENCES services (code) ON DELETE CASCADE,
    fee_rupees        numeric CHECK (fee_rupees >= 0),          -- 0: free; NULL: not known
    documents         text[]  NOT NULL DEFAULT '{}',            -- codes of catalogue_documents, in order
    apply_url         text    CHECK (apply_url ~ '^https://'),
    whatsapp_flow_id  text    CHECK (whatsapp_flow_id ~ '^[A-Za-z0-9_-]{1,128}$'),
    source            text    NOT NULL DEFAULT '',              -- where the official values come from
    -- Which values are illustrative: any of time_limit, authorities, fee, documents, flow.
    sample_values     text[]  NOT NULL DEFAULT '{}'
                              CHECK (sample_values <@ ARRAY['time_limit', 'authorities', 'fee', 'documents', 'flow']),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- What a search matches: every name of a service in every language and its synonyms, lower-cased. Rebuilt for a
-- service whenever its names or details are imported.
CREATE TABLE service_search_terms (
    service_code text NOT NULL REFERENCES services (code) ON DELETE CASCADE,
    term         text NOT NULL CHECK (length(term) BETWEEN 1 AND 200),
    kind         text NOT NULL CHECK (kind IN ('name', 'synonym')),
    PRIMARY KEY (service_code, term)
);
CREATE INDEX service_search_terms_trgm_idx ON service_search_terms USING gin (term gin_trgm_ops);
CREATE INDEX service_search_terms_text_idx ON service_search_terms USING gin (to_tsvector('simple', term));

-- The search terms of one service from its names and the synonyms given (NULL: keep the synonyms it has).
CREATE FUNCTION service_search_refresh(code text, synonyms text[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM service_search_terms
    WHERE service_code = code AND (kind = 'name' OR synonyms IS NOT NULL);
    INSERT INTO service_search_terms (service_code, term, kind)
    SELECT code, t.term, min(t.kind)
    FROM (SELECT lower(s.name_en) AS term, 'name' AS kind FROM services s WHERE s.code = service_search_refresh.code
          UNION ALL SELECT lower(n.name), 'name' FROM service_names n WHERE n.service_code = service_search_refresh.code
          UNION ALL SELECT lower(btrim(x)), 'synonym' FROM unnest(synonyms) AS x WHERE btrim(x) <> '') AS t
    WHERE length(t.term) BETWEEN 1 AND 200
    GROUP BY t.term
    ON CONFLICT (service_code, term) DO UPDATE SET kind = least(service_search_terms.kind, excluded.kind);
$$;

-- A role's and a document's name in a language, as service_name: its own, else the English one, else the code.
CREATE FUNCTION officer_role_name(code text, lang text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT n.name FROM officer_role_names n WHERE n.role_code = code AND n.language = lang),
                    (SELECT r.name_en FROM officer_roles r WHERE r.code = officer_role_name.code), code)
$$;
CREATE FUNCTION catalogue_document_name(code text, lang text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT n.name FROM catalogue_document_names n WHERE n.document_code = code AND n.language = lang),
                    (SELECT d.name_en FROM catalogue_documents d WHERE d.code = catalogue_document_name.code), code)
$$;

-- The conversation's new step: waiting for what to search; the query and page in progress are kept in `draft`.
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_state_check;
ALTER TABLE whatsapp_conversations ADD CONSTRAINT whatsapp_conversations_state_check
    CHECK (state IN ('menu', 'awaiting_application_id', 'appeal_application', 'appeal_grounds', 'appeal_confirm',
                     'awaiting_search'));
