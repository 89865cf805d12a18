"""The rating page an email question opens, in headless Chromium: a citizen WhatsApp does not reach gets the
question by email after their outcome; a link opens the form with its rating chosen and records nothing; the
citizen changes it, adds a comment and sends; the answer is kept once, and the link then says it was rated. A
screenshot of each page under OUT; axe-core (WCAG 2.1 A/AA rules) finds no serious or critical violation.

Environment: BASE (the portal adapter), KEY (a live API key of REVENUE), DATABASE_URL, OUT, MAIL (the sink's
maildir). Exits non-zero on the first failed expectation, saying which.
"""
import email
import email.policy
import glob
import os
import re
import time

import browser
from browser import chromium, expect, finish
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, KEY, DATABASE_URL, OUT, MAIL = (os.environ[name] for name in ("BASE", "KEY", "DATABASE_URL", "OUT", "MAIL"))


def sql(query):
    return browser.sql(DATABASE_URL, query)


def rating_mail():
    """The text of the rating question's email, once it arrived."""
    for _ in range(300):
        for path in glob.glob(os.path.join(MAIL, "new", "*")):
            with open(path, "rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if message.get("Message-ID", "").startswith("<rating-"):
                return message.get_body(preferencelist=("plain",)).get_content(), message["Subject"]
        time.sleep(0.1)
    raise SystemExit("the rating question never arrived by email")


sql("UPDATE departments SET ask_ratings = true WHERE code = 'REVENUE'")
status, _ = browser.call_json(BASE + "/v1/citizens/r-1", "PUT", {"email": "rating@example.in", "language": "mr"}, KEY)
expect(status == 200, "a citizen with email only")
status, _ = browser.call_json(BASE + "/v1/applications/R-1/outcome", "POST", {
    "citizen": "r-1", "decision": "approved", "service": "INCOME", "office": "HAVELI"}, KEY, "rating-r-1")
expect(status == 202, "the outcome accepted")
text, subject = rating_mail()
expect("R-1" in subject, f"the question names the application ({subject})")
links = re.findall(r"(http://\S+/rate/[A-Za-z0-9_-]+\?stars=([1-5]))", text)
expect(len(links) == 5, f"five links, 1 to 5 ({len(links)})")
four = next(url for url, stars in links if stars == "4")

driver = chromium()
try:
    driver.get(four)
    expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr", "the page in the citizen's language")
    expect(driver.find_element(By.ID, "r4").is_selected(), "the link's rating is chosen")
    expect(sql("SELECT rating IS NULL FROM service_ratings WHERE channel = 'email'") == "t", "opening it records nothing")
    driver.save_screenshot(os.path.join(OUT, "rating-form-mr.png"))
    browser.accessible(driver, "rating-form-mr")
    driver.get(four.replace("?stars=4", "?stars=4&lang=en"))
    browser.accessible(driver, "rating-form-en")
    driver.find_element(By.CSS_SELECTOR, "label[for=r5]").click()
    driver.find_element(By.ID, "comment").send_keys("Quick and courteous")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The answer page's own paragraph: the form page's first paragraph could be read before the post's page came.
    said = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "main p.done").text)
    expect("Thank you" in said, f"the answer is thanked ({said})")
    driver.save_screenshot(os.path.join(OUT, "rating-thanks-en.png"))
    browser.accessible(driver, "rating-thanks-en")
    expect(sql("SELECT rating || '|' || comment FROM service_ratings WHERE channel = 'email'") == "5|Quick and courteous",
           "the rating and the comment kept")
    driver.get(four)
    expect("आधीच" in driver.find_element(By.TAG_NAME, "main").text, "the link afterwards says it was rated")
    browser.accessible(driver, "rating-already-mr")
finally:
    driver.quit()
finish(OUT)
