"""The standard dashboard in headless Chromium: a portal reports 24 applications of Mulshi (clocks started 3 to 26
days ago, 20 decided now, two of them rejected) through the public APIs; once the refresher has caught up, the Pune
district page shows, for this month, the numbers the database computes straight from its domain tables for the same
district and period; the same numbers are in the JSON and the CSV; the district ranks its talukas; the page works
in Marathi and on a phone-sized screen; screenshots under OUT and axe-core finds no serious or critical violation.

Environment: BASE (the portal adapter), APPEALS (the appeals service), KEY (a live API key of REVENUE),
DATABASE_URL, OUT.
"""
import csv
import datetime
import io
import json
import os
import time
import urllib.request

import browser
from browser import chromium, expect, finish
from selenium.webdriver.common.by import By

BASE, APPEALS, KEY, DATABASE_URL, OUT = (os.environ[name] for name in ("BASE", "APPEALS", "KEY", "DATABASE_URL", "OUT"))
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))


def call(url, method, body, idempotency_key=None):
    return browser.call_json(url, method, body, KEY, idempotency_key)


def sql(query):
    return browser.sql(DATABASE_URL, query)


now = datetime.datetime.now(IST)
for i in range(24):
    user, application = f"dash-{i}", f"DASH-MULSHI-{i:03d}"
    status, _ = call(BASE + f"/v1/citizens/{user}", "PUT", {"email": f"{user}@example.in", "language": "mr"})
    expect(status == 200, f"citizen {user} registered ({status})")
    completed = (now - datetime.timedelta(days=3 + i)).replace(microsecond=0).isoformat()
    status, clock = call(APPEALS + f"/v1/applications/{application}/clock", "PUT", {
        "portal_user_id": user, "service_code": "INCOME", "office_code": "MULSHI", "completed_at": completed})
    expect(status == 200, f"{application}: time limit started ({status} {clock})")
    if i >= 20:
        continue  # still pending, past the 15-day limit
    body = {"citizen": user, "decision": "rejected" if i in (4, 9) else "approved", "service": "INCOME",
            "office": "MULSHI", "village": "V-MULSHI-PAUD" if i % 2 else "V-MULSHI-PIRANGUT"}
    if body["decision"] == "rejected":
        body["reasons"] = ["Income proof not attached"]
    status, answer = call(BASE + f"/v1/applications/{application}/outcome", "POST", body, f"dash-{i}")
    expect(status == 202, f"{application}: outcome accepted ({status} {answer})")

# Every outcome in the inbox, and the refresher caught up with everything noted.
for _ in range(300):
    if (sql("SELECT count(*) FROM deliveries d JOIN applications a ON a.id = d.application_id "
            "WHERE a.portal_application_id LIKE 'DASH-%' AND d.first_delivered_at IS NOT NULL") == "20"
            and sql("SELECT count(*) FROM dashboard_changes") == "0"):
        break
    time.sleep(0.1)
time.sleep(1.5)  # the refresher's pass that took the last change has committed
expect(sql("SELECT count(*) FROM dashboard_changes") == "0", "the dashboard refresher caught up")

# What the database says for Pune district this month, straight from the domain tables.
first = now.date().replace(day=1).isoformat()
last = ((now.date().replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)).isoformat()
placed = ("(SELECT a.id FROM applications a WHERE EXISTS (SELECT 1 FROM office_ancestors oa WHERE oa.ancestor_code = 'D-PUNE' "
          "AND oa.office_code IN (a.office_code, a.village_code)))")
# Received: the day the time limit started, or (no clock) the day the application became known; never test traffic.
received = int(sql(
    f"SELECT count(*) FROM applications a LEFT JOIN application_clocks ac ON ac.application_id = a.id AND ac.kind = 'time_limit' "
    f"AND NOT ac.is_test WHERE a.id IN {placed} AND (ac.id IS NOT NULL OR EXISTS (SELECT 1 FROM deliveries t "
    f"WHERE t.application_id = a.id AND NOT t.is_test)) AND coalesce(ac.started_on, "
    f"(coalesce(a.completed_at, a.created_at) AT TIME ZONE 'Asia/Kolkata')::date) BETWEEN '{first}' AND '{last}'"))
# The first decision of each application (a later one is a correction, not a second disposal).
decided = (f"(SELECT DISTINCT ON (d.application_id) d.application_id, d.created_at FROM deliveries d "
           f"WHERE d.application_id IN {placed} AND d.decision IN ('approved', 'rejected') AND NOT d.is_test "
           f"ORDER BY d.application_id, d.created_at, d.id) f")
disposed = int(sql(f"SELECT count(*) FROM {decided} WHERE (f.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '{first}' AND '{last}'"))
timed, within = map(int, sql(
    f"SELECT count(*), count(*) FILTER (WHERE (f.created_at AT TIME ZONE 'Asia/Kolkata')::date <= ac.due_on) FROM {decided} "
    f"JOIN application_clocks ac ON ac.application_id = f.application_id AND ac.kind = 'time_limit' AND NOT ac.is_test "
    f"WHERE (f.created_at AT TIME ZONE 'Asia/Kolkata')::date BETWEEN '{first}' AND '{last}'").split("|"))
expect(disposed >= 20, f"the database: {received} received, {disposed} disposed ({within} of {timed} in time) in {first}..{last}")


def shown(count):
    return "fewer than 10" if 1 <= count <= 9 else f"{count:,}"


def cell(driver, measure):
    """The 'this period' cell of a measure's row in the summary table."""
    for row in driver.find_elements(By.CSS_SELECTOR, "#main table.data tbody tr"):
        if row.find_element(By.CSS_SELECTOR, "th").text.strip() == measure:
            return row.find_elements(By.CSS_SELECTOR, "td")[0].text.strip()
    return None


driver = chromium()
try:
    driver.get(APPEALS + "/dashboard")
    expect(driver.current_url.split("?")[0].endswith("/dashboard/MH"), f"/dashboard leads to the state ({driver.current_url})")
    driver.get(APPEALS + "/dashboard/D-PUNE?lang=en")
    expect(driver.title.startswith("Pune district"), f"the district page ({driver.title})")
    expect(cell(driver, "Applications received") == shown(received), f"received: page {cell(driver, 'Applications received')}, database {received}")
    expect(cell(driver, "Applications disposed") == shown(disposed), f"disposed: page {cell(driver, 'Applications disposed')}, database {disposed}")
    share = ("no data" if timed == 0 else "fewer than 10" if 1 <= within <= 9 or 1 <= timed <= 9
             else f"{round(within * 1000 / timed) / 10:.1f}%")
    expect(cell(driver, "Disposed within the time limit (%)") == share,
           f"within the limit: page {cell(driver, 'Disposed within the time limit (%)')}, database {within}/{disposed}")
    svgs = driver.find_elements(By.CSS_SELECTOR, "svg[role=img]")
    expect(len(svgs) == 3 and all(s.get_attribute("aria-labelledby") for s in svgs), f"three charts, each labelled ({len(svgs)})")
    expect(len(driver.find_elements(By.CSS_SELECTOR, "figure + table")) == 3, "every chart is followed by its table")
    ranks = [row.find_elements(By.CSS_SELECTOR, "td")[0].text for row in driver.find_elements(By.CSS_SELECTOR, "#children ~ table tbody tr")]
    names = [row.find_element(By.CSS_SELECTOR, "th").text for row in driver.find_elements(By.CSS_SELECTOR, "#children ~ table tbody tr")]
    mulshi = names.index("Mulshi taluka") if "Mulshi taluka" in names else -1
    expect(len(names) >= 14 and mulshi >= 0 and ranks[mulshi] == "1",
           f"the talukas of Pune listed and ranked, Mulshi first (the only one with a share to rank): {names[:3]}, {ranks[:3]}")
    expect(driver.find_element(By.ID, "def-within_limit_percent").text != "", "each measure has its definition")
    driver.save_screenshot(os.path.join(OUT, "dashboard-district-en.png"))
    browser.accessible(driver, "dashboard (district, English)")

    # The same numbers as data.
    with urllib.request.urlopen(APPEALS + "/dashboard/D-PUNE/data.json") as response:
        data = json.load(response)
    values = {m["id"]: m for m in data["measures"]}
    expect(values["received"]["value"] == received and values["disposed"]["value"] == disposed,
           f"the JSON agrees ({values['received']['value']}, {values['disposed']['value']})")
    expect(all(m["definition"] for m in data["measures"]), "the JSON carries every definition")
    with urllib.request.urlopen(APPEALS + "/dashboard/D-PUNE/data.csv") as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode())))
    current = {r["measure"]: r["value"] for r in rows if r["office_code"] == "D-PUNE" and r["period"] == "current"}
    expect(current.get("disposed") == str(disposed), f"the CSV agrees ({current.get('disposed')})")

    # Marathi, the taluka below, and a phone-sized screen.
    driver.get(APPEALS + "/dashboard/T-MULSHI?lang=mr")
    expect(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "mr" and "मुळशी" in driver.title,
           f"the taluka in Marathi ({driver.title})")
    driver.save_screenshot(os.path.join(OUT, "dashboard-taluka-mr.png"))
    browser.accessible(driver, "dashboard (taluka, Marathi)")
    driver.set_window_size(390, 844)
    driver.get(APPEALS + "/dashboard/D-PUNE?lang=mr&period=year")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    expect(width <= 400, f"no sideways scrolling on a phone ({width} px)")
    driver.save_screenshot(os.path.join(OUT, "dashboard-phone-mr.png"))
    browser.accessible(driver, "dashboard (phone, Marathi, financial year)")
    driver.get(APPEALS + "/dashboard/D-PUNE?period=fortnight&lang=en")
    expect("Choose a period" in driver.page_source, "a period that does not exist is explained")
finally:
    driver.quit()
finish(OUT)
