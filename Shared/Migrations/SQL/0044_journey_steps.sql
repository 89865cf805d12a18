-- The application's journey (issue 19): the portal reports each step (received, under scrutiny, documents needed,
-- payment due, appointment or site visit) and Dakiya tells the citizen on their channels in their language, as it
-- does an outcome. A step is a delivery (decision 'step', the step's name and its facts), so it shares the outcome's
-- idempotency, routing, retries, fallbacks, status and callbacks.

ALTER TABLE deliveries DROP CONSTRAINT deliveries_decision_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_decision_check
    CHECK (decision IN ('approved', 'rejected', 'other', 'appeal', 'step'));
ALTER TABLE deliveries
    ADD COLUMN step text CHECK (step IN ('received', 'under_scrutiny', 'documents_needed', 'payment_due', 'appointment')),
    -- The step's facts as the citizen reads them (dates DD-MM-YYYY, names in the delivery's language): the values
    -- of the step's templates.
    ADD COLUMN step_detail jsonb,
    ADD CONSTRAINT deliveries_step_named CHECK ((decision = 'step') = (step IS NOT NULL));

-- A shortfall: what the office needs and by when. The citizen may answer it in the WhatsApp chat (files or text);
-- each reply goes to the portal (signed callback, or fetched with the department's key). A later shortfall of the
-- same application supersedes an open one.
CREATE TABLE application_shortfalls (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint      NOT NULL REFERENCES applications (id),
    delivery_id     uuid        NOT NULL UNIQUE REFERENCES deliveries (id),
    documents       text[]      NOT NULL CHECK (cardinality(documents) BETWEEN 1 AND 20),
    reply_by        date        NOT NULL,
    state           text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'superseded')),
    is_test         boolean     NOT NULL,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    answered_at     timestamptz
);
CREATE INDEX application_shortfalls_application_idx ON application_shortfalls (application_id, opened_at);

-- One message of the citizen's answer. A file is fetched from the Graph API by a job (pending), checked (type,
-- size, the virus-scan hook) and kept as a document with the retention of certificates (accepted), or refused with
-- the reason the citizen is told.
CREATE TABLE shortfall_replies (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shortfall_id    bigint      NOT NULL REFERENCES application_shortfalls (id),
    wamid           text        NOT NULL UNIQUE,
    mobile          text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('text', 'document', 'image')),
    text            text        CHECK (length(text) BETWEEN 1 AND 4096),
    media_id        text,
    declared_type   text,
    file_name       text,
    document_id     bigint      REFERENCES documents (id),
    state           text        NOT NULL CHECK (state IN ('pending', 'accepted', 'refused')),
    refusal         text,
    scan            text        CHECK (scan IN ('clean', 'not_scanned')),
    received_at     timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    CHECK (kind = 'text' OR media_id IS NOT NULL),
    CHECK (state <> 'accepted' OR kind = 'text' OR document_id IS NOT NULL)
);
CREATE INDEX shortfall_replies_shortfall_idx ON shortfall_replies (shortfall_id, id);

-- The state's rule for the time limit while a shortfall is open: 'restart' (the limit counts again, whole, from the
-- day the citizen answers: the time limit runs from a complete application), 'pause' (it stops while the shortfall
-- is open and resumes with the days that were left, in the limit's own unit), or 'continue' (a shortfall does not touch it).
ALTER TABLE appeal_state_settings ADD COLUMN shortfall_clock text NOT NULL DEFAULT 'restart'
    CHECK (shortfall_clock IN ('restart', 'pause', 'continue'));
-- While a shortfall holds the clock: the day it stopped (the sweep does not lapse a held clock).
ALTER TABLE application_clocks ADD COLUMN held_on date;

-- Portal events about something other than a delivery's status name their subject delivery (the shortfall's step).
-- The conversation waits for a shortfall's answer after the citizen taps "Send documents".
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_state_check;
ALTER TABLE whatsapp_conversations ADD CONSTRAINT whatsapp_conversations_state_check
    CHECK (state IN ('menu', 'awaiting_application_id', 'appeal_application', 'appeal_grounds', 'appeal_confirm',
                     'awaiting_search', 'rating_comment', 'shortfall_reply'));

-- The steps' WhatsApp templates (approved utility templates, one per step and language). Body parameters:
-- received: application, service, received on, time limit ("15 days", "21 working days"), due on, designated officer;
-- under scrutiny: application, service; documents needed: application, service, documents, reply by (and a
-- "Send documents" quick-reply button); payment due: application, service, amount, where to pay, pay by;
-- appointment: application, service, what (appointment or site visit), when, where.
ALTER TABLE whatsapp_templates DROP CONSTRAINT whatsapp_templates_kind_check;
ALTER TABLE whatsapp_templates ADD CONSTRAINT whatsapp_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'appeal_order', 'verification_slip',
                    'rating', 'step_received', 'step_under_scrutiny', 'step_documents_needed', 'step_payment_due',
                    'step_appointment'));
INSERT INTO whatsapp_templates (kind, language, name, body_parameters, document_header, quick_reply_buttons)
SELECT t.kind, l.code, t.name, t.parameters, false, t.buttons
FROM (VALUES ('step_received', 'dakiya_application_received', 6, 0),
             ('step_under_scrutiny', 'dakiya_application_scrutiny', 2, 0),
             ('step_documents_needed', 'dakiya_documents_needed', 4, 1),
             ('step_payment_due', 'dakiya_payment_due', 5, 0),
             ('step_appointment', 'dakiya_appointment', 5, 0)) AS t(kind, name, parameters, buttons),
     languages l;

-- The steps' emails. Placeholders besides the usual: {{received_on}} {{time_limit}} {{due_on}} {{officer}}
-- {{documents}} {{reply_by}} {{amount}} {{pay_at}} {{pay_by}} {{visit}} {{when}} {{place}}.
ALTER TABLE message_templates DROP CONSTRAINT message_templates_kind_check;
ALTER TABLE message_templates ADD CONSTRAINT message_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'step_received',
                    'step_under_scrutiny', 'step_documents_needed', 'step_payment_due', 'step_appointment'));
INSERT INTO message_templates (kind, channel, language, subject, body_text) VALUES
('step_received', 'email', 'en', 'Application {{application_id}} received',
 E'Dear citizen,\n\nYour application {{application_id}} for {{service}} was received by {{department}} ({{office}}) on {{received_on}}.\n\nUnder the Right to Public Services Act the notified time limit is {{time_limit}}: a decision is due by {{due_on}}. Designated officer: {{officer}}.\n\nSent by Dakiya on behalf of {{department}}.'),
('step_under_scrutiny', 'email', 'en', 'Application {{application_id}} is under scrutiny',
 E'Dear citizen,\n\nYour application {{application_id}} for {{service}} is being examined by {{department}} ({{office}}). We will write again when there is a decision or if anything is needed from you.\n\nSent by Dakiya on behalf of {{department}}.'),
('step_documents_needed', 'email', 'en', 'Documents needed for application {{application_id}}',
 E'Dear citizen,\n\n{{department}} ({{office}}) needs the following to go on with your application {{application_id}} for {{service}}:\n{{documents}}\n\nPlease send them by {{reply_by}}: on the portal, or as a photo or PDF in our WhatsApp chat.\n\nSent by Dakiya on behalf of {{department}}.'),
('step_payment_due', 'email', 'en', 'Payment due for application {{application_id}}',
 E'Dear citizen,\n\nA payment of {{amount}} is due for your application {{application_id}} for {{service}} ({{department}}, {{office}}).\n\nPay at: {{pay_at}}\nPay by: {{pay_by}}\n\nSent by Dakiya on behalf of {{department}}.'),
('step_appointment', 'email', 'en', '{{visit}} for application {{application_id}}',
 E'Dear citizen,\n\n{{visit}} for your application {{application_id}} for {{service}} ({{department}}, {{office}}):\n\nWhen: {{when}}\nWhere: {{place}}\n\nSent by Dakiya on behalf of {{department}}.'),

('step_received', 'email', 'mr', 'अर्ज {{application_id}} प्राप्त झाला',
 E'प्रिय नागरिक,\n\n{{service}} साठीचा तुमचा अर्ज {{application_id}} {{department}} ({{office}}) यांना {{received_on}} रोजी प्राप्त झाला.\n\nलोकसेवा हक्क अधिनियमानुसार अधिसूचित कालमर्यादा {{time_limit}} आहे: निर्णय {{due_on}} पर्यंत अपेक्षित आहे. पदनिर्देशित अधिकारी: {{officer}}.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('step_under_scrutiny', 'email', 'mr', 'अर्ज {{application_id}} ची छाननी सुरू आहे',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} ची {{department}} ({{office}}) छाननी करत आहे. निर्णय झाल्यावर किंवा तुमच्याकडून काही हवे असल्यास आम्ही पुन्हा कळवू.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('step_documents_needed', 'email', 'mr', 'अर्ज {{application_id}} साठी कागदपत्रे आवश्यक',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} वर पुढील कार्यवाहीसाठी {{department}} ({{office}}) यांना पुढील गोष्टी हव्या आहेत:\n{{documents}}\n\nकृपया {{reply_by}} पर्यंत पाठवा: पोर्टलवर, किंवा आमच्या व्हॉट्सॲप चॅटमध्ये फोटो किंवा PDF म्हणून.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('step_payment_due', 'email', 'mr', 'अर्ज {{application_id}} साठी शुल्क भरणे बाकी',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} ({{department}}, {{office}}) साठी {{amount}} भरणे बाकी आहे.\n\nकुठे भरावे: {{pay_at}}\nकधीपर्यंत: {{pay_by}}\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('step_appointment', 'email', 'mr', 'अर्ज {{application_id}}: {{visit}}',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} ({{department}}, {{office}}) साठी {{visit}}:\n\nकधी: {{when}}\nकुठे: {{place}}\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),

('step_received', 'email', 'hi', 'आवेदन {{application_id}} प्राप्त हुआ',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपका आवेदन {{application_id}} {{department}} ({{office}}) को {{received_on}} को प्राप्त हुआ।\n\nलोक सेवा अधिकार अधिनियम के अंतर्गत अधिसूचित समय सीमा {{time_limit}} है: निर्णय {{due_on}} तक अपेक्षित है। पदनामित अधिकारी: {{officer}}।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('step_under_scrutiny', 'email', 'hi', 'आवेदन {{application_id}} की जाँच चल रही है',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} की {{department}} ({{office}}) जाँच कर रहा है। निर्णय होने पर या आपसे कुछ चाहिए होने पर हम फिर लिखेंगे।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('step_documents_needed', 'email', 'hi', 'आवेदन {{application_id}} के लिए दस्तावेज़ आवश्यक',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} पर आगे कार्यवाही के लिए {{department}} ({{office}}) को ये चाहिए:\n{{documents}}\n\nकृपया {{reply_by}} तक भेजें: पोर्टल पर, या हमारी व्हाट्सऐप चैट में फ़ोटो या PDF के रूप में।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('step_payment_due', 'email', 'hi', 'आवेदन {{application_id}} के लिए भुगतान बाकी',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} ({{department}}, {{office}}) के लिए {{amount}} का भुगतान बाकी है।\n\nकहाँ भुगतान करें: {{pay_at}}\nकब तक: {{pay_by}}\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('step_appointment', 'email', 'hi', 'आवेदन {{application_id}}: {{visit}}',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} ({{department}}, {{office}}) के लिए {{visit}}:\n\nकब: {{when}}\nकहाँ: {{place}}\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),

('step_received', 'email', 'te', 'దరఖాస్తు {{application_id}} అందింది',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} {{department}} ({{office}})కు {{received_on}}న అందింది.\n\nప్రజా సేవల హక్కు చట్టం ప్రకారం నోటిఫై చేసిన గడువు {{time_limit}}: నిర్ణయం {{due_on}} లోపు రావాలి. నియమిత అధికారి: {{officer}}.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('step_under_scrutiny', 'email', 'te', 'దరఖాస్తు {{application_id}} పరిశీలనలో ఉంది',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}}ను {{department}} ({{office}}) పరిశీలిస్తోంది. నిర్ణయం వచ్చినప్పుడు లేదా మీ నుండి ఏదైనా అవసరమైతే మళ్ళీ తెలియజేస్తాము.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('step_documents_needed', 'email', 'te', 'దరఖాస్తు {{application_id}}కు పత్రాలు అవసరం',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}}పై ముందుకు వెళ్ళడానికి {{department}} ({{office}})కు ఇవి అవసరం:\n{{documents}}\n\nదయచేసి {{reply_by}} లోపు పంపండి: పోర్టల్‌లో, లేదా మా వాట్సాప్ చాట్‌లో ఫోటో లేదా PDFగా.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('step_payment_due', 'email', 'te', 'దరఖాస్తు {{application_id}}కు చెల్లింపు బాకీ',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} ({{department}}, {{office}})కు {{amount}} చెల్లించాలి.\n\nఎక్కడ: {{pay_at}}\nఎప్పటిలోగా: {{pay_by}}\n\n{{department}} తరఫున డాకియా పంపింది.'),
('step_appointment', 'email', 'te', 'దరఖాస్తు {{application_id}}: {{visit}}',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} ({{department}}, {{office}})కు {{visit}}:\n\nఎప్పుడు: {{when}}\nఎక్కడ: {{place}}\n\n{{department}} తరఫున డాకియా పంపింది.'),

('step_received', 'email', 'ur', 'درخواست {{application_id}} موصول ہو گئی',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} {{department}} ({{office}}) کو {{received_on}} کو موصول ہوئی۔\n\nعوامی خدمات کے حق کے قانون کے تحت مقررہ مدت {{time_limit}} ہے: فیصلہ {{due_on}} تک متوقع ہے۔ نامزد افسر: {{officer}}۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('step_under_scrutiny', 'email', 'ur', 'درخواست {{application_id}} کی جانچ جاری ہے',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} کی {{department}} ({{office}}) جانچ کر رہا ہے۔ فیصلہ ہونے پر یا آپ سے کچھ درکار ہونے پر ہم دوبارہ لکھیں گے۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('step_documents_needed', 'email', 'ur', 'درخواست {{application_id}} کے لیے دستاویزات درکار',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} پر آگے کارروائی کے لیے {{department}} ({{office}}) کو یہ درکار ہے:\n{{documents}}\n\nبراہ کرم {{reply_by}} تک بھیجیں: پورٹل پر، یا ہماری واٹس ایپ چیٹ میں تصویر یا PDF کے طور پر۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('step_payment_due', 'email', 'ur', 'درخواست {{application_id}} کے لیے ادائیگی باقی',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} ({{department}}، {{office}}) کے لیے {{amount}} کی ادائیگی باقی ہے۔\n\nکہاں: {{pay_at}}\nکب تک: {{pay_by}}\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔'),
('step_appointment', 'email', 'ur', 'درخواست {{application_id}}: {{visit}}',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} ({{department}}، {{office}}) کے لیے {{visit}}:\n\nکب: {{when}}\nکہاں: {{place}}\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔');
