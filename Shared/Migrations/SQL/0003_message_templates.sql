-- Message templates, stored as data the departments can change. A row with department NULL is the default;
-- a department's own row for the same kind, channel and language wins. body_html NULL means "derived from
-- body_text" (escaped, paragraphs, reasons as a list). Placeholders: {{application_id}} {{service}} {{office}}
-- {{department}} {{reasons}} {{appeal_url}}.

CREATE TABLE message_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department  text REFERENCES departments (code),
    kind        text NOT NULL CHECK (kind IN ('approved', 'rejected', 'certificate_issued', 'other')),
    channel     text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'portal')),
    language    text NOT NULL CHECK (language IN ('en', 'mr', 'hi', 'te')),
    subject     text NOT NULL,
    body_text   text NOT NULL,
    body_html   text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (department, kind, channel, language)
);

INSERT INTO message_templates (kind, channel, language, subject, body_text) VALUES
('approved', 'email', 'en', 'Your application {{application_id}} has been approved',
 E'Dear citizen,\n\nYour application {{application_id}} for {{service}} has been approved by {{department}} ({{office}}).\n\nYou can also see this outcome in your portal inbox.\n\nSent by Dakiya on behalf of {{department}}.'),
('rejected', 'email', 'en', 'Decision on your application {{application_id}}: rejected',
 E'Dear citizen,\n\nYour application {{application_id}} for {{service}} has been rejected by {{department}} ({{office}}).\n\nReasons:\n{{reasons}}\n\nUnder the Right to Public Services Act you may file a first appeal within 30 days of receiving this decision: {{appeal_url}}\n\nSent by Dakiya on behalf of {{department}}.'),
('certificate_issued', 'email', 'en', 'Your certificate for application {{application_id}} is ready',
 E'Dear citizen,\n\nYour application {{application_id}} for {{service}} has been approved by {{department}} ({{office}}), and your certificate is attached to this email as a PDF.\n\nKeep it safe; it is also in your portal inbox.\n\nSent by Dakiya on behalf of {{department}}.'),
('other', 'email', 'en', 'Update on your application {{application_id}}',
 E'Dear citizen,\n\nThere is an update on your application {{application_id}} for {{service}} from {{department}} ({{office}}):\n{{reasons}}\n\nSent by Dakiya on behalf of {{department}}.'),

('approved', 'email', 'mr', 'तुमचा अर्ज {{application_id}} मंजूर झाला आहे',
 E'प्रिय नागरिक,\n\n{{service}} साठीचा तुमचा अर्ज {{application_id}} {{department}} ({{office}}) यांनी मंजूर केला आहे.\n\nहा निकाल तुमच्या पोर्टल इनबॉक्समध्येही पाहता येईल.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('rejected', 'email', 'mr', 'तुमच्या अर्ज {{application_id}} वरील निर्णय: नामंजूर',
 E'प्रिय नागरिक,\n\n{{service}} साठीचा तुमचा अर्ज {{application_id}} {{department}} ({{office}}) यांनी नामंजूर केला आहे.\n\nकारणे:\n{{reasons}}\n\nलोकसेवा हक्क अधिनियमानुसार हा निर्णय मिळाल्यापासून ३० दिवसांच्या आत तुम्ही प्रथम अपील दाखल करू शकता: {{appeal_url}}\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('certificate_issued', 'email', 'mr', 'अर्ज {{application_id}} साठी तुमचे प्रमाणपत्र तयार आहे',
 E'प्रिय नागरिक,\n\n{{service}} साठीचा तुमचा अर्ज {{application_id}} {{department}} ({{office}}) यांनी मंजूर केला असून तुमचे प्रमाणपत्र (PDF) या ईमेलसोबत जोडले आहे.\n\nते जपून ठेवा; ते तुमच्या पोर्टल इनबॉक्समध्येही उपलब्ध आहे.\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),
('other', 'email', 'mr', 'तुमच्या अर्ज {{application_id}} बद्दल नवीन माहिती',
 E'प्रिय नागरिक,\n\n{{service}} साठीच्या तुमच्या अर्ज {{application_id}} बद्दल {{department}} ({{office}}) यांच्याकडून नवीन माहिती:\n{{reasons}}\n\n{{department}} यांच्या वतीने डाकियाद्वारे पाठवले.'),

('approved', 'email', 'hi', 'आपका आवेदन {{application_id}} स्वीकृत हो गया है',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपका आवेदन {{application_id}} {{department}} ({{office}}) द्वारा स्वीकृत कर दिया गया है।\n\nयह परिणाम आपके पोर्टल इनबॉक्स में भी देखा जा सकता है।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('rejected', 'email', 'hi', 'आपके आवेदन {{application_id}} पर निर्णय: अस्वीकृत',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपका आवेदन {{application_id}} {{department}} ({{office}}) द्वारा अस्वीकृत कर दिया गया है।\n\nकारण:\n{{reasons}}\n\nलोक सेवा अधिकार अधिनियम के अंतर्गत यह निर्णय मिलने के 30 दिनों के भीतर आप प्रथम अपील दायर कर सकते हैं: {{appeal_url}}\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('certificate_issued', 'email', 'hi', 'आवेदन {{application_id}} के लिए आपका प्रमाणपत्र तैयार है',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपका आवेदन {{application_id}} {{department}} ({{office}}) द्वारा स्वीकृत कर दिया गया है और आपका प्रमाणपत्र (PDF) इस ईमेल के साथ संलग्न है।\n\nइसे सुरक्षित रखें; यह आपके पोर्टल इनबॉक्स में भी उपलब्ध है।\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),
('other', 'email', 'hi', 'आपके आवेदन {{application_id}} के बारे में नई जानकारी',
 E'प्रिय नागरिक,\n\n{{service}} के लिए आपके आवेदन {{application_id}} के बारे में {{department}} ({{office}}) से नई जानकारी:\n{{reasons}}\n\n{{department}} की ओर से डाकिया द्वारा भेजा गया।'),

('approved', 'email', 'te', 'మీ దరఖాస్తు {{application_id}} ఆమోదించబడింది',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} ను {{department}} ({{office}}) ఆమోదించింది.\n\nఈ ఫలితాన్ని మీ పోర్టల్ ఇన్‌బాక్స్‌లో కూడా చూడవచ్చు.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('rejected', 'email', 'te', 'మీ దరఖాస్తు {{application_id}} పై నిర్ణయం: తిరస్కరించబడింది',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} ను {{department}} ({{office}}) తిరస్కరించింది.\n\nకారణాలు:\n{{reasons}}\n\nప్రజా సేవల హక్కు చట్టం ప్రకారం ఈ నిర్ణయం అందిన 30 రోజుల్లోపు మీరు మొదటి అప్పీల్ దాఖలు చేయవచ్చు: {{appeal_url}}\n\n{{department}} తరఫున డాకియా పంపింది.'),
('certificate_issued', 'email', 'te', 'దరఖాస్తు {{application_id}} కోసం మీ ధృవీకరణ పత్రం సిద్ధంగా ఉంది',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} ను {{department}} ({{office}}) ఆమోదించింది, మీ ధృవీకరణ పత్రం (PDF) ఈ ఇమెయిల్‌కు జతచేయబడింది.\n\nదీన్ని భద్రంగా ఉంచుకోండి; ఇది మీ పోర్టల్ ఇన్‌బాక్స్‌లో కూడా అందుబాటులో ఉంది.\n\n{{department}} తరఫున డాకియా పంపింది.'),
('other', 'email', 'te', 'మీ దరఖాస్తు {{application_id}} గురించి కొత్త సమాచారం',
 E'ప్రియమైన పౌరులకు,\n\n{{service}} కోసం మీ దరఖాస్తు {{application_id}} గురించి {{department}} ({{office}}) నుండి కొత్త సమాచారం:\n{{reasons}}\n\n{{department}} తరఫున డాకియా పంపింది.');
