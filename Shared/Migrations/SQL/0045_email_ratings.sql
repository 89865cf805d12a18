-- Rating the service by email (issue 19): a citizen WhatsApp does not reach (no mobile, no opt-in, or the message
-- failed) is asked once by email after the outcome's email went out. The email carries five links to a page of
-- the portal-adapter (a form: the rating and an optional comment, posted; following a link records nothing, so a
-- mail scanner that opens links cannot answer for the citizen). The link's token is kept only as its SHA-256.
ALTER TABLE service_ratings ALTER COLUMN mobile DROP NOT NULL;
ALTER TABLE service_ratings
    ADD COLUMN channel      text  NOT NULL DEFAULT 'whatsapp' CHECK (channel IN ('whatsapp', 'email')),
    ADD COLUMN email        text,
    ADD COLUMN token_sha256 bytea UNIQUE CHECK (octet_length(token_sha256) = 32),
    ADD COLUMN ask_message_id text,   -- set once the question's email was accepted by the relay: never sent twice
    ADD CONSTRAINT service_ratings_contact_check
        CHECK ((channel = 'whatsapp' AND mobile IS NOT NULL) OR (channel = 'email' AND email IS NOT NULL));

ALTER TABLE message_templates DROP CONSTRAINT message_templates_kind_check;
ALTER TABLE message_templates ADD CONSTRAINT message_templates_kind_check
    CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other', 'appeal', 'step_received',
                    'step_under_scrutiny', 'step_documents_needed', 'step_payment_due', 'step_appointment',
                    'rating'));
-- {{rating_links}}: the five links, one a line (a list in HTML).
INSERT INTO message_templates (kind, channel, language, subject, body_text) VALUES
('rating', 'email', 'en', 'How was the service? Application {{application_id}}',
 E'Dear citizen,\n\nHow was the service of {{department}} ({{office}}) for your application {{application_id}} for {{service}}? Choose from 1 (poor) to 5 (excellent); you may add a comment on the page that opens. We ask only once.\n\n{{rating_links}}\n\nYour answer goes to the audit of service quality; your comment is read only by the department.\n\nSent by Dakiya on behalf of {{department}}.'),
('rating', 'email', 'mr', 'सेवा कशी होती? अर्ज {{application_id}}',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} साठी {{department}} ({{office}}) यांची सेवा कशी होती? 1 (वाईट) ते 5 (उत्तम) यापैकी निवडा; उघडणाऱ्या पानावर तुम्ही अभिप्राय लिहू शकता. आम्ही एकदाच विचारतो.\n\n{{rating_links}}\n\nतुमचे उत्तर सेवा गुणवत्तेच्या लेखापरीक्षणासाठी जाते; तुमचा अभिप्राय फक्त विभाग वाचतो.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('rating', 'email', 'hi', 'सेवा कैसी रही? आवेदन {{application_id}}',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} हेतु {{department}} ({{office}}) की सेवा कैसी रही? 1 (खराब) से 5 (उत्तम) चुनें; खुलने वाले पृष्ठ पर आप टिप्पणी लिख सकते हैं। हम केवल एक बार पूछते हैं।\n\n{{rating_links}}\n\nआपका उत्तर सेवा गुणवत्ता के लेखा-परीक्षण में जाता है; आपकी टिप्पणी केवल विभाग पढ़ता है।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('rating', 'email', 'te', 'సేవ ఎలా ఉంది? దరఖాస్తు {{application_id}}',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}}కు {{department}} ({{office}}) సేవ ఎలా ఉంది? 1 (బాగాలేదు) నుండి 5 (అద్భుతం) ఎంచుకోండి; తెరుచుకునే పేజీలో వ్యాఖ్య రాయవచ్చు. మేము ఒక్కసారే అడుగుతాము.\n\n{{rating_links}}\n\nమీ సమాధానం సేవా నాణ్యత ఆడిట్‌కు వెళ్తుంది; మీ వ్యాఖ్యను విభాగం మాత్రమే చదువుతుంది.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('rating', 'email', 'ur', 'خدمت کیسی رہی؟ درخواست {{application_id}}',
 E'محترم شہری،\n\n{{service}} کے لیے آپ کی درخواست {{application_id}} پر {{department}} ({{office}}) کی خدمت کیسی رہی؟ 1 (خراب) سے 5 (بہترین) چنیں؛ کھلنے والے صفحے پر آپ رائے لکھ سکتے ہیں۔ ہم صرف ایک بار پوچھتے ہیں۔\n\n{{rating_links}}\n\nآپ کا جواب خدمت کے معیار کے آڈٹ میں جاتا ہے؛ آپ کی رائے صرف محکمہ پڑھتا ہے۔\n\n{{department}} کی جانب سے ڈاکیا کے ذریعے بھیجا گیا۔');
