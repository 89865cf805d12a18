"""Parses one raw email with Python's standard email package and prints what a mail client would see, as JSON.

    python3 check_mail.py FILE
"""
import email
import email.policy
import hashlib
import json
import sys

raw = open(sys.argv[1], "rb").read()
message = email.message_from_bytes(raw, policy=email.policy.default)
defects = [type(d).__name__ for d in message.defects]
structure = []
attachments = []
text = html = None
for part in message.walk():
    defects += [type(d).__name__ for d in part.defects]
    structure.append(part.get_content_type())
    if part.get_content_disposition() == "attachment":
        payload = part.get_payload(decode=True)
        attachments.append({"filename": part.get_filename(), "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload),
                      "content_type": part.get_content_type(), "bytes_hex": payload.hex() if len(payload) <= 65536 else None})
    elif part.get_content_type() == "text/plain":
        text = part.get_content()
    elif part.get_content_type() == "text/html":
        html = part.get_content()
bare_lf = any(line.endswith(b"\n") and not line.endswith(b"\r\n") for line in raw.splitlines(keepends=True))
print(json.dumps({
    "defects": defects, "subject": str(message["subject"]), "from": str(message["from"]), "to": str(message["to"]),
    "reply_to": str(message["reply-to"]) if message["reply-to"] else None, "message_id": str(message["message-id"]),
    "date": str(message["date"]), "structure": structure,
    "attachment": attachments[0] if attachments else None, "attachments": attachments, "text": text, "html": html,
    "bare_lf": bare_lf,
}, ensure_ascii=False))
