-- Languages are data (issue 13): one table lists the languages citizens are served in, with each one's script
-- direction and the declared fallback; every column that holds a language refers to it instead of repeating the
-- codes in a CHECK. Services' names move from one column per language to one row per language. Swift's
-- `Texts.Language` mirrors this table (a test checks that they agree and that every text has every language).
-- Urdu (read by many citizens in Maharashtra, written right to left) is added here as the proof: its rows in
-- the template tables below are all it takes.

CREATE TABLE languages (
    code         text     PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}$'),
    english_name text     NOT NULL,
    native_name  text     NOT NULL,
    direction    text     NOT NULL CHECK (direction IN ('ltr', 'rtl')),
    is_fallback  boolean  NOT NULL DEFAULT false,
    position     smallint NOT NULL UNIQUE
);
-- Exactly one fallback language.
CREATE UNIQUE INDEX languages_one_fallback ON languages (is_fallback) WHERE is_fallback;

INSERT INTO languages (code, english_name, native_name, direction, is_fallback, position) VALUES
    ('en', 'English', 'English', 'ltr', true, 1),
    ('mr', 'Marathi', 'मराठी', 'ltr', false, 2),
    ('hi', 'Hindi', 'हिन्दी', 'ltr', false, 3),
    ('te', 'Telugu', 'తెలుగు', 'ltr', false, 4),
    ('ur', 'Urdu', 'اردو', 'rtl', false, 5);

-- Every CHECK that listed the codes becomes a reference to the table.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT con.conrelid::regclass AS tbl, con.conname
        FROM pg_constraint con
        WHERE con.contype = 'c'
          AND con.conrelid IN ('citizens'::regclass, 'deliveries'::regclass, 'message_templates'::regclass,
                               'whatsapp_templates'::regclass, 'whatsapp_conversations'::regclass)
          AND pg_get_constraintdef(con.oid) LIKE '%language%''mr''%'
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname);
    END LOOP;
END $$;
ALTER TABLE citizens ADD CONSTRAINT citizens_language_fkey FOREIGN KEY (language) REFERENCES languages (code);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_language_fkey FOREIGN KEY (language) REFERENCES languages (code);
ALTER TABLE message_templates ADD CONSTRAINT message_templates_language_fkey FOREIGN KEY (language) REFERENCES languages (code);
ALTER TABLE whatsapp_templates ADD CONSTRAINT whatsapp_templates_language_fkey FOREIGN KEY (language) REFERENCES languages (code);
ALTER TABLE whatsapp_conversations ADD CONSTRAINT whatsapp_conversations_language_fkey FOREIGN KEY (language) REFERENCES languages (code);

-- Service names: the English name stays on the service (the fallback, required); every other language is a row.
CREATE TABLE service_names (
    service_code text NOT NULL REFERENCES services (code) ON DELETE CASCADE,
    language     text NOT NULL REFERENCES languages (code),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (service_code, language)
);
INSERT INTO service_names (service_code, language, name)
SELECT code, l.language, l.name
FROM services, LATERAL (VALUES ('mr', name_mr), ('hi', name_hi), ('te', name_te)) AS l(language, name)
WHERE l.name <> '';
ALTER TABLE services DROP COLUMN name_mr, DROP COLUMN name_hi, DROP COLUMN name_te;

-- A service's name in a language: its own, else the English one, else the code (a service not in the catalogue).
CREATE FUNCTION service_name(code text, lang text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT n.name FROM service_names n WHERE n.service_code = code AND n.language = lang),
                    (SELECT s.name_en FROM services s WHERE s.code = service_name.code), code)
$$;

-- Urdu: the WhatsApp templates (the same names, registered with Meta in Urdu) and the email templates.
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header, quick_reply_buttons)
SELECT kind, 'ur', name, body_parameters, document_header, quick_reply_buttons FROM whatsapp_templates WHERE language = 'en';

INSERT INTO message_templates (kind, channel, language, subject, body_text) VALUES
('approved', 'email', 'ur', 'آپ کی درخواست {{application_id}} منظور ہو گئی ہے',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} کو {{department}} ({{office}}) نے منظور کر لیا ہے۔\n\nیہ نتیجہ آپ کے پورٹل اِن باکس میں بھی دیکھا جا سکتا ہے۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('rejected', 'email', 'ur', 'آپ کی درخواست {{application_id}} پر فیصلہ: نامنظور',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} کو {{department}} ({{office}}) نے نامنظور کر دیا ہے۔\n\nوجوہات:\n{{reasons}}\n\nعوامی خدمات کے حق کے قانون کے تحت آپ یہ فیصلہ ملنے کے 30 دن کے اندر پہلی اپیل دائر کر سکتے ہیں: {{appeal_url}}\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('certificate_issued', 'email', 'ur', 'درخواست {{application_id}} کے لیے آپ کا سرٹیفکیٹ تیار ہے',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} کو {{department}} ({{office}}) نے منظور کر لیا ہے، اور آپ کا سرٹیفکیٹ (PDF) اس ای میل کے ساتھ منسلک ہے۔\n\nاسے محفوظ رکھیں؛ یہ آپ کے پورٹل اِن باکس میں بھی موجود ہے۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('other', 'email', 'ur', 'آپ کی درخواست {{application_id}} کے بارے میں نئی معلومات',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} کے بارے میں {{department}} ({{office}}) کی جانب سے نئی معلومات:\n{{reasons}}\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('appeal', 'email', 'ur', 'عوامی خدمات کا حق: درخواست {{application_id}}',
 E'محترم شہری،\n\n{{reasons}}\n\n{{service}} کے لیے درخواست {{application_id}}، {{department}} ({{office}})۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔');
