"""The certificate verification page in headless Chromium: what a person sees for a valid, a revoked and a forged
seal, in Marathi, Hindi, Telugu and English; the "check this PDF" form used with a real file; a screenshot of
each page under OUT; and axe-core (WCAG 2.1 A/AA rules) finding no serious or critical violation on any of them.

Environment: BASE (the portal adapter), KEY (a live API key of REVENUE), DATABASE_URL (to read what was sealed),
OUT (the screenshot folder). Exits non-zero on the first failed expectation, saying which.
"""
import base64
import os
import sys
import time

import browser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from sample_pdf import pdf  # noqa: E402
from browser import chromium, expect, finish
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE, KEY, DATABASE_URL, OUT = (os.environ[name] for name in ("BASE", "KEY", "DATABASE_URL", "OUT"))
def call(method, path, body=None, idempotency_key=None):
    return browser.call_json(BASE + path, method, body, KEY, idempotency_key)


def sql(query):
    return browser.sql(DATABASE_URL, query)


def sealed(application, text):
    """Sends an outcome with a certificate and waits for its seal: (certificate id, seal, delivered PDF bytes)."""
    status, answer = call("POST", f"/v1/applications/{application}/outcome", {
        "citizen": "c-1", "decision": "approved", "service": "INCOME", "office": "HAVELI",
        "certificate": {"file_name": "income.pdf", "content_base64": base64.b64encode(pdf(text)).decode()},
    }, idempotency_key=application)
    expect(status == 202, f"outcome {application} accepted ({status} {answer if status != 202 else ''})")
    for _ in range(200):
        row = sql(f"""SELECT s.certificate_id, s.seal, encode(doc.content, 'base64') FROM certificate_seals s
                      JOIN deliveries d ON d.id = s.delivery_id JOIN documents doc ON doc.id = d.document_id
                      JOIN applications a ON a.id = d.application_id WHERE a.portal_application_id = '{application}'""")
        if row:
            certificate, seal, content = row.split("|")
            return certificate, seal, base64.b64decode(content.replace("\n", ""))
        time.sleep(0.1)
    raise SystemExit(f"{application} was never sealed")


status, _ = call("PUT", "/v1/citizens/c-1", {"mobile": "+919812345678", "language": "mr"})
expect(status == 200, "citizen registered")
valid_id, valid_seal, delivered = sealed("B-1", "INCOME CERTIFICATE No. 1")
revoked_id, revoked_seal, _ = sealed("B-2", "INCOME CERTIFICATE No. 2")
status, _ = call("POST", f"/v1/certificates/{revoked_id}/revoke", {"reason": "superseded"})
expect(status == 200, "certificate B-2 revoked")
forged_seal = valid_seal[:-4] + ("AAAA" if not valid_seal.endswith("AAAA") else "BBBB")
pdf_file = os.path.join(OUT, "delivered-certificate.pdf")
with open(pdf_file, "wb") as file:
    file.write(delivered)

driver = chromium()


def accessible(name):
    browser.accessible(driver, name)


def visit(name, path, expected, language):
    driver.get(BASE + path)
    heading = driver.find_element(By.CSS_SELECTOR, "main h2").text
    expect(expected in heading, f"{name}: the page says '{expected}' (it says '{heading}')")
    expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language, f"{name}: lang is {language}")
    shot = os.path.join(OUT, f"verify-{name}.png")
    driver.save_screenshot(shot)
    expect(os.path.getsize(shot) > 10_000, f"{name}: screenshot {shot}")
    accessible(name)
    return driver.find_element(By.TAG_NAME, "main").text


try:
    text = visit("valid-en", f"/V/{valid_seal}?lang=en", "Genuine and valid", "en")
    expect(valid_id in text and "Revenue and Forest Department" in text, "valid-en: certificate number and issuer shown")
    visit("valid-mr", f"/V/{valid_seal}?lang=mr", "खरे आणि वैध प्रमाणपत्र", "mr")
    text = visit("revoked-en", f"/V/{revoked_seal}?lang=en", "Revoked", "en")
    expect("replaced by a newer certificate" in text, "revoked-en: the reason is shown in words")
    expect("Income certificate" in text, "revoked-en: the document's name from the catalogue")
    visit("revoked-te", f"/V/{revoked_seal}?lang=te", "రద్దు చేయబడింది", "te")
    visit("forged-hi", f"/V/{forged_seal}?lang=hi", "यह हमारे द्वारा जारी प्रमाणपत्र नहीं है", "hi")
    visit("forged-en", "/V/NOTASEAL?lang=en", "Not a certificate we issued", "en")
    # The language switch is a plain link: no script needed.
    driver.get(BASE + f"/V/{valid_seal}?lang=en")
    driver.find_element(By.CSS_SELECTOR, "nav a[hreflang='mr']").click()
    # Wait for the new page (reading the old one right after the click would race the navigation).
    switched = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr")
    expect(switched, "the language switch opens Marathi")
    # Check this PDF: choose the delivered file, submit the form.
    driver.get(BASE + "/v?lang=en")
    accessible("check-form")
    driver.save_screenshot(os.path.join(OUT, "verify-check-form.png"))
    driver.find_element(By.ID, "pdf").send_keys(pdf_file)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The form page has a heading too: wait for the answer's own (the verdict), not the page being left.
    heading = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(
        expected_conditions.presence_of_element_located((By.ID, "verdict"))).text
    expect("Genuine and valid" in heading, f"check-this-PDF: the delivered file is genuine ({heading})")
    driver.save_screenshot(os.path.join(OUT, "verify-check-result.png"))
finally:
    driver.quit()

finish(OUT)
