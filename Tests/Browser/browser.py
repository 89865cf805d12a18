"""What the browser checks share: expectations that print ok/FAIL, headless Chromium (Debian's chromium and
chromium-driver) through selenium, and axe-core (WCAG 2.1 A/AA rules) on the current page."""
import importlib.util
import json
import os
import subprocess
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

failures = []


def expect(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)



def call_json(url, method, body, key, idempotency_key=None):
    """An API call with a JSON body and a bearer key: (status, the JSON answer)."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", "Bearer " + key)
    if idempotency_key:
        request.add_header("Idempotency-Key", idempotency_key)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sql(database_url, query):
    """One value (or rows joined by newlines, columns by |) from psql."""
    return subprocess.run(["psql", database_url, "-Atc", query], check=True, capture_output=True, text=True).stdout.strip()


def chromium():
    """A headless Chromium, 1280×900."""
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(60)
    return driver


spec = importlib.util.find_spec("axe_core_python")
with open(os.path.join(os.path.dirname(spec.origin), "axe.min.js")) as file:
    AXE = file.read()


def accessible(driver, name):
    """axe-core on the current page, WCAG 2.1 A and AA rules: no serious or critical violation."""
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r)).catch(e => done({error: String(e)}));")
    expect("error" not in result, f"{name}: axe ran ({result.get('error', 'fine')})")
    bad = [v for v in result.get("violations", []) if v.get("impact") in ("serious", "critical")]
    for violation in bad:
        print(f"     {violation['id']} ({violation['impact']}): {violation['help']} x{len(violation['nodes'])}")
    expect(not bad, f"{name}: no serious or critical accessibility violation ({len(result.get('passes', []))} rules passed)")


def finish(out):
    """Exits non-zero when an expectation failed."""
    if failures:
        print(f"{len(failures)} browser expectation(s) failed")
        sys.exit(1)
    print("browser checks passed; screenshots in " + out)
