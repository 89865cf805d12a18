"""The officers' desk in headless Chromium: an officer signs in through the form with their officer key, sees the
appeal before them, switches to Marathi, and signs out; a form posted from another site and a forged cookie open
nothing; the officer opens the appeal, decides it with the order PDF, and the citizen's notice arrives in the mail
sink. A screenshot of each page under OUT; axe-core finds no serious or critical violation on any of them.

Environment: BASE (the portal adapter), APPEALS (the appeals service), KEY (a live API key of REVENUE),
OFFICER_KEY (the Tahsildar of Haveli's), DATABASE_URL, OUT, MAIL (the mail sink's Maildir).
"""
import email
import email.policy
import os
import time

import browser
from browser import chromium, expect, finish
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, APPEALS, KEY, OFFICER_KEY, DATABASE_URL, OUT, MAIL = (
    os.environ[name] for name in ("BASE", "APPEALS", "KEY", "OFFICER_KEY", "DATABASE_URL", "OUT", "MAIL"))


def call(url, method, body, idempotency_key):
    return browser.call_json(url, method, body, KEY, idempotency_key)


def sql(query):
    return browser.sql(DATABASE_URL, query)


# A rejection reaches the citizen's inbox; the citizen appeals it through the portal.
status, _ = call(BASE + "/v1/citizens/d-1", "PUT", {"email": "d1@example.in", "language": "mr"}, "desk-citizen")
expect(status == 200, "citizen registered")
status, answer = call(BASE + "/v1/applications/D-1/outcome", "POST", {
    "citizen": "d-1", "decision": "rejected", "reasons": ["Income proof not attached"], "service": "INCOME",
    "office": "HAVELI"}, "desk-outcome")
expect(status == 202, f"rejection accepted ({status})")
for _ in range(200):
    if sql("SELECT count(*) FROM deliveries d JOIN applications a ON a.id = d.application_id "
           "WHERE a.portal_application_id = 'D-1' AND d.first_delivered_at IS NOT NULL") == "1":
        break
    time.sleep(0.1)
status, appeal = call(APPEALS + "/v1/applications/D-1/appeals", "POST",
                      {"level": 1, "grounds": "The income proof was attached to the application."}, "desk-appeal")
expect(status in (200, 201), f"first appeal filed ({status} {appeal})")
number = appeal.get("appeal_number", "?")

driver = chromium()


def shot(name):
    path = os.path.join(OUT, f"desk-{name}.png")
    driver.save_screenshot(path)
    expect(os.path.getsize(path) > 10_000, f"{name}: screenshot {path}")
    browser.accessible(driver, name)


def wait_for(predicate):
    return WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(lambda d: predicate())


try:
    driver.get(APPEALS + "/desk")
    expect("/desk/sign-in" in driver.current_url, "without a session the desk sends you to sign in")
    driver.get(APPEALS + "/desk/sign-in?lang=en")
    shot("sign-in-en")
    driver.find_element(By.ID, "key").send_keys("dko_wrong_key")
    driver.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for(lambda: "not valid" in driver.find_element(By.TAG_NAME, "main").text)
    expect(True, "a wrong key is refused with the reason")
    shot("sign-in-refused")
    driver.find_element(By.ID, "key").send_keys(OFFICER_KEY)
    driver.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for(lambda: driver.find_elements(By.TAG_NAME, "table"))
    table = driver.find_element(By.TAG_NAME, "table").text
    expect(number in table and "D-1" in table, f"the appeal {number} is listed before the Tahsildar")
    cookie = driver.get_cookie("dakiya_desk") or {}
    expect(cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", f"the session cookie: {cookie}")
    shot("appeals-en")
    driver.find_element(By.CSS_SELECTOR, "nav a[hreflang='mr']").click()
    wait_for(lambda: driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr")
    expect("प्रथम अपील" in driver.find_element(By.TAG_NAME, "table").text, "the list in Marathi")
    shot("appeals-mr")

    # The appeal's own page: what happened, then the decision with the order PDF.
    driver.get(APPEALS + "/desk?lang=en")
    driver.find_element(By.LINK_TEXT, number).click()
    wait_for(lambda: driver.find_elements(By.ID, "decide"))
    main = driver.find_element(By.TAG_NAME, "main").text
    expect("The income proof was attached" in main and "Income proof not attached" in main,
           "the appeal's page shows the grounds and the rejection the citizen received")
    shot("appeal-en")
    order = os.path.join(OUT, "order.pdf")
    with open(order, "wb") as file:
        file.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    driver.find_element(By.CSS_SELECTOR, "input[name=decision][value=dismissed]").click()
    driver.find_element(By.ID, "decision-reasons").send_keys("The income proof was not attached to the application.")
    driver.find_element(By.ID, "order").send_keys(order)
    driver.find_element(By.CSS_SELECTOR, "form[enctype='multipart/form-data'] button").click()
    wait_for(lambda: "The decision was recorded" in driver.find_element(By.TAG_NAME, "main").text)
    expect(True, "the decision is recorded from the desk")
    shot("appeal-decided")
    delivered = ""
    for _ in range(300):
        for folder in ("new", "cur"):
            path = os.path.join(MAIL, folder)
            for name in os.listdir(path) if os.path.isdir(path) else []:
                with open(os.path.join(path, name), "rb") as file:
                    message = email.message_from_bytes(file.read(), policy=email.policy.default)
                text = message.get_body(preferencelist=("plain",))
                if "d1@example.in" in str(message["to"]) and text is not None and number in text.get_content():
                    delivered = name
        if delivered:
            break
        time.sleep(0.1)
    expect(delivered, f"the citizen's notice of the decision on {number} arrived in the mail sink")

    # Another site's form posting to the desk's sign-out: no cookie goes with it (SameSite=Strict), nothing ends.
    driver.get("data:text/html,<form method=post action='" + APPEALS + "/desk/sign-out'><button id=go>go</button></form>")
    driver.find_element(By.ID, "go").click()
    time.sleep(0.5)
    driver.get(APPEALS + "/desk?lang=en")
    expect("Signed in as" in driver.find_element(By.TAG_NAME, "main").text,
           "a cross-site sign-out did not end the session")

    # Signing out ends it; the desk asks to sign in again.
    driver.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for(lambda: "/desk/sign-in" in driver.current_url)
    driver.get(APPEALS + "/desk")
    expect("/desk/sign-in" in driver.current_url, "signed out: the desk asks to sign in")

    # A forged cookie opens nothing.
    driver.add_cookie({"name": "dakiya_desk", "value": "forged-session", "path": "/desk"})
    driver.get(APPEALS + "/desk")
    expect("/desk/sign-in" in driver.current_url, "a forged session cookie opens nothing")
finally:
    driver.quit()

finish(OUT)
