#!/usr/bin/env python3
"""The hub's web console in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`)
driven by selenium, against a running hub.

Scenario (issue #15): an admin signs in, creates a product, switches dynamic registration to auto-create with
a limit of 2; three units register with the real `iothub-device fleet`; the device list shows two devices and
the registration audit the third refused for the limit; the ProductSecret is in the page only after the
reveal; a device added by hand comes with a device_info.json that downloads with its credential; a device's
page opened from the status-filtered list shows what the unit did, its desired state is edited (invalid JSON
refused) and it is disabled; a file of names with a bad line is reported by line and creates nothing; a viewer
signed in elsewhere cannot change anything; an HTML payload in a description renders as text; a change
without the CSRF token is refused; the overview's registrations chart carries the scenario's registrations
(two accepted, one refused for the limit, one colour each); an application created in the console shows its
AppSecret once. Firmware: a file over the hub's limit is refused on the page; a file uploaded through the
Firmware page's file input gets the MD5 the hub computed; an update task for a device added by hand is applied
by the real `iothub-device run`, and the task page shows it reach success by itself, without a reload.

Environment (set by Tests/IntegrationTests/ConsoleBrowserTests.swift):
  HUB_CONSOLE_URL   http://127.0.0.1:PORT/console
  HUB_HTTP_URL      http://127.0.0.1:PORT of the device HTTP endpoints (dynamic registration)
  HUB_MQTT          127.0.0.1:PORT of the MQTT listener
  HUB_ADMIN, HUB_VIEWER, HUB_PASSWORD  the operators the wrapper created
  IOTHUB_DEVICE     path of the built iothub-device executable
  IOTHUB_CONSOLE_SCREENSHOTS  optional: a directory to save the README's screenshots into

A missing chromium, chromedriver or selenium is a failure, never a skip. Prints `N passed, M failed` and
exits non-zero on failure.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CONSOLE = os.environ.get("HUB_CONSOLE_URL", "").rstrip("/")
ORIGIN = CONSOLE[: -len("/console")] if CONSOLE.endswith("/console") else CONSOLE
ADMIN = os.environ.get("HUB_ADMIN", "")
VIEWER = os.environ.get("HUB_VIEWER", "")
PASSWORD = os.environ.get("HUB_PASSWORD", "")
SCREENSHOTS = os.environ.get("IOTHUB_CONSOLE_SCREENSHOTS", "")
WAIT = 30  # seconds a condition may take before the test fails (a safety bound, not a measurement)


def find_browser():
    """Debian's chromium and its chromedriver; anything missing fails the test."""
    browser = os.environ.get("IOTHUB_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("IOTHUB_CHROMEDRIVER") or shutil.which("chromedriver")
    if not browser or not driver:
        raise RuntimeError(
            "chromium (%s) or chromedriver (%s) not found: install the Debian packages chromium and chromium-driver "
            "(scripts/test does)" % (browser, driver)
        )
    return browser, driver


class Browser:
    """One headless Chromium with a user-data-dir (cookies, downloads) of its own."""

    def __init__(self):
        browser, driver = find_browser()
        self.profile = tempfile.mkdtemp(prefix="iothub-chromium-")
        self.downloads = os.path.join(self.profile, "downloads")
        os.mkdir(self.downloads)
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--user-data-dir=" + os.path.join(self.profile, "data"),
            "--window-size=1280,800",
            "--no-proxy-server",
            "--no-first-run",
            "--disable-gpu",
            "--hide-scrollbars",
        ):
            options.add_argument(argument)
        options.add_experimental_option(
            "prefs", {"download.default_directory": self.downloads, "download.prompt_for_download": False}
        )
        # An explicit driver path: selenium's driver manager (which would download) is never run.
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # --- navigation ------------------------------------------------------------------------------------

    def open(self, path):
        self.driver.get(ORIGIN + path)
        return self

    def wait(self, condition):
        return WebDriverWait(self.driver, WAIT).until(condition)

    @staticmethod
    def left(page):
        """A wait condition: the document whose html element is `page` was navigated away from. As selenium's
        staleness condition, and also when Chromium answers for the old node with "does not belong to the
        document" instead of a stale-element error (it does so at times during the navigation)."""

        def check(_):
            try:
                page.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return True
                raise

        return check

    def submit(self, element):
        """Clicks a submit button (or submits a form) and waits for the next page."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.wait(self.left(page))
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def follow(self, link):
        self.submit(link)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def title(self):
        return self.find("main h1").text

    def text(self):
        return self.find("main").text

    def sign_in(self, name):
        self.open("/console")
        self.wait(EC.presence_of_element_located((By.NAME, "password")))
        self.find("input[name=name]").send_keys(name)
        self.find("input[name=password]").send_keys(PASSWORD)
        self.submit(self.find("form[action='/console/signin'] button[type=submit]"))
        assert self.find("header .operator").text == name, self.driver.page_source

    def post(self, path, fields):
        """A POST from the page, as a form a script builds and submits (the console's content security policy
        allows no fetch: connect-src falls back to default-src 'none'). Returns the answer's HTTP status (from the
        navigation timing entry) and the page's title and text."""
        page = self.find("html")
        self.driver.execute_script(
            """
            const [path, fields] = arguments;
            const form = document.createElement("form");
            form.method = "post";
            form.action = path;
            for (const [name, value] of Object.entries(fields)) {
              const input = document.createElement("input");
              input.type = "hidden";
              input.name = name;
              input.value = value;
              form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
            """,
            path,
            fields,
        )
        self.wait(self.left(page))
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
        status = self.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus")
        return status, self.title(), self.text()

    def csrf(self):
        return self.find("form[action='/console/signout'] input[name=_csrf]").get_attribute("value")

    def screenshot(self, name):
        if not SCREENSHOTS:
            return
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


class ConsoleBrowserTests(unittest.TestCase):
    admin = None

    @classmethod
    def setUpClass(cls):
        for name, value in (("HUB_CONSOLE_URL", CONSOLE), ("HUB_ADMIN", ADMIN), ("HUB_VIEWER", VIEWER), ("HUB_PASSWORD", PASSWORD)):
            if not value:
                raise RuntimeError(name + " is not set (run through ConsoleBrowserTests)")
        cls.admin = Browser()
        cls.admin.open("/console")
        cls.admin.wait(EC.presence_of_element_located((By.NAME, "password")))
        cls.admin.screenshot("signin")
        cls.admin.sign_in(ADMIN)

    @classmethod
    def tearDownClass(cls):
        if cls.admin:
            cls.admin.quit()

    # --- helpers -----------------------------------------------------------------------------------------

    def create_product(self, name, description=""):
        """Through the products page's form; returns the ProductId (the browser is on the product's page)."""
        b = self.admin.open("/console/products")
        b.find("form[action='/console/products'] input[name=name]").send_keys(name)
        b.find("input[name=auth][value=psk]").click()
        if description:
            b.find("form[action='/console/products'] textarea[name=description]").send_keys(description)
        b.submit(b.find("form[action='/console/products'] button[type=submit]"))
        self.assertEqual(b.title(), name)
        self.assertIn("Product created.", b.text())
        self.assertEqual(b.find("dl.facts dd:nth-of-type(2)").text, "key (PSK)")
        return b.find("dl.facts dd code").text

    def fleet(self, product_id, secret, directory, count, pattern="unit-{n}"):
        tool = os.environ.get("IOTHUB_DEVICE", "")
        self.assertTrue(tool and os.access(tool, os.X_OK), "IOTHUB_DEVICE=%r is not an executable" % tool)
        run = subprocess.run(
            [
                tool, "fleet", "--count", str(count), "--concurrency", "1", "--product-id", product_id,
                "--product-secret", secret, "--name-pattern", pattern, "--dir", directory, "--messages", "1",
                "--qos", "1", "--json", "--http", os.environ["HUB_HTTP_URL"], "--mqtt", os.environ["HUB_MQTT"],
            ],
            capture_output=True, text=True, timeout=120,
        )
        try:
            return run.returncode, json.loads(run.stdout), run.stderr
        except ValueError:
            self.fail("iothub-device fleet printed no JSON (exit %d): %s %s" % (run.returncode, run.stdout, run.stderr))

    # --- the scenario ------------------------------------------------------------------------------------

    def registrations_legend(self):
        """The overview chart's registrations of the last hour by series (hub-wide: other tests' units too)."""
        b = self.admin.open("/console/overview")
        return {li.get_attribute("data-series"): int(li.get_attribute("data-total")) for li in b.all("#chart-registrations li[data-series]")}

    def test_dynamic_registration_with_a_limit_and_the_fleet(self):
        b = self.admin
        before = self.registrations_legend()
        product_id = self.create_product("browser_fleet", "Units of the browser test")
        product_page = "/console/products/" + product_id

        # The Dynamic Registration card: on, auto-create, at most 2.
        card = b.find("#dynamic-registration")
        self.assertIn("Set a limit", card.text)
        for name in ("enabled", "autocreate"):
            box = card.find_element(By.CSS_SELECTOR, "input[name=%s]" % name)
            self.assertFalse(box.is_selected())
            box.click()
        limit = card.find_element(By.CSS_SELECTOR, "input[name=limit]")
        limit.clear()
        limit.send_keys("2")
        b.submit(card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.assertIn("Saved.", b.text())
        card = b.find("#dynamic-registration")
        self.assertTrue(card.find_element(By.CSS_SELECTOR, "input[name=enabled]").is_selected())
        self.assertTrue(card.find_element(By.CSS_SELECTOR, "input[name=autocreate]").is_selected())
        self.assertEqual(card.find_element(By.CSS_SELECTOR, "input[name=limit]").get_attribute("value"), "2")
        self.assertEqual(b.find(".usage").text, "Created so far: 0 of 2.")

        # The ProductSecret is not in the page until revealed.
        self.assertEqual(b.all("#product-secret"), [])
        reveal = b.find("a.reveal")
        self.assertEqual(reveal.text, "Reveal ProductSecret")
        b.follow(reveal)
        secret = b.find("#product-secret").text
        self.assertRegex(secret, r"^[A-Za-z0-9]{16,}$")
        self.assertTrue(b.find("button.copy[data-copy=product-secret]").is_displayed())
        b.open(product_page)
        self.assertEqual(b.all("#product-secret"), [])
        self.assertNotIn(secret, b.driver.page_source)

        # Three units power on with the revealed secret: two are created, the third is refused for the limit.
        units = tempfile.mkdtemp(prefix="iothub-fleet-")
        try:
            status, summary, stderr = self.fleet(product_id, secret, units, 3)
        finally:
            shutil.rmtree(units, ignore_errors=True)
        self.assertNotEqual(status, 0, "a fleet with a refused unit must not exit 0")
        self.assertEqual(summary["registered"], 2, summary)
        self.assertEqual(summary["failed"], 1, summary)
        self.assertEqual([(f["phase"], f["reason"]) for f in summary["failures"]], [("register", "register_limit_reached")], summary)

        b.open(product_page)
        self.assertEqual(b.find(".usage").text, "Created so far: 2 of 2.")
        b.driver.execute_script("document.getElementById('dynamic-registration').scrollIntoView()")
        b.screenshot("product")

        # The device list: exactly the two created units.
        b.follow(b.find("a[href$='/devices']"))
        self.assertEqual(b.title(), "Devices of browser_fleet")
        names = sorted(cell.text for cell in b.all("td.device-name"))
        self.assertEqual(len(names), 2, names)
        self.assertTrue(set(names) <= {"unit-1", "unit-2", "unit-3"}, names)
        self.assertIn("2 device(s).", b.find(".pager").text)
        b.screenshot("devices")

        # The registration audit: three attempts, the refused one with the limit reason.
        b.open("/console/registrations")
        b.find("form.filter input[name=product]").send_keys(product_id)
        b.submit(b.find("form.filter button[type=submit]"))
        rows = b.all("main tbody tr")
        self.assertEqual(len(rows), 3, b.text())
        refused = b.all("main tbody tr.failure")
        self.assertEqual(len(refused), 1, b.text())
        self.assertEqual(refused[0].find_element(By.CSS_SELECTOR, ".attempt-reason").text, "register_limit_reached")
        refused_name = refused[0].find_element(By.CSS_SELECTOR, ".attempt-device").text
        self.assertNotIn(refused_name, names)
        self.assertEqual(len(b.all("main tbody tr.success")), 2, b.text())
        b.screenshot("registrations")

        # The overview's chart carries the scenario's registrations: two accepted, one refused for the limit,
        # and the units' messages.
        b.open("/console/overview")
        self.assertEqual(b.title(), "Overview")
        chart = b.find("#chart-registrations svg")
        self.assertTrue(chart.is_displayed())
        self.assertGreater(chart.size["height"], 100, "the chart is drawn at its size (the style sheet applies)")
        legend = {li.get_attribute("data-series"): int(li.get_attribute("data-total")) for li in b.all("#chart-registrations li[data-series]")}
        added = {series: total - before.get(series, 0) for series, total in legend.items() if total != before.get(series, 0)}
        self.assertEqual(added, {"accepted": 2, "refused:register_limit_reached": 1}, (before, legend))
        bars = b.all("#chart-registrations rect.bar")
        self.assertEqual(
            sum(int(r.get_attribute("data-count")) for r in bars if r.get_attribute("data-series") == "accepted"), legend["accepted"]
        )
        colours = {r.get_attribute("data-series"): r.value_of_css_property("fill") for r in bars}
        self.assertNotEqual(colours["accepted"], colours["refused:register_limit_reached"], "a colour per series")
        self.assertEqual(b.find("#accepted-hour").text, str(legend["accepted"]))
        self.assertEqual(b.find("#refused-hour").text, str(sum(t for k, t in legend.items() if k.startswith("refused:"))))
        messages = b.find("#chart-messages-minutes li[data-series=messages]")
        self.assertGreaterEqual(int(messages.get_attribute("data-total")), 2, "the fleet's messages")
        self.assertIn("Registrations per minute", b.find("#chart-registrations-title").get_attribute("textContent"))
        b.screenshot("overview")

        # A unit that registers while the registration audit is open appears in it without a reload.
        b.open("/console/registrations?product=" + product_id)
        self.assertEqual(len(b.all("main tbody tr")), 3, b.text())
        b.driver.execute_script("window.iothubNotReloaded = true")
        late = tempfile.mkdtemp(prefix="iothub-fleet-")
        try:
            status, summary, stderr = self.fleet(product_id, secret, late, 1, pattern="late-{n}")
        finally:
            shutil.rmtree(late, ignore_errors=True)
        self.assertEqual(summary["failed"], 1, summary)
        # Read in one script: the live table replaces its rows, so element handles go stale between calls.
        b.wait(lambda d: "late-1" in d.execute_script(
            "return Array.from(document.querySelectorAll('main tbody .attempt-device')).map(function (e) { return e.textContent; })"))
        self.assertTrue(b.driver.execute_script("return window.iothubNotReloaded === true"), "the page was reloaded")
        self.assertEqual(len(b.all("main tbody tr")), 4, b.text())

        # The reveal is in the operator audit.
        b.open("/console/audit")
        actions = [cell.text for cell in b.all("td.audit-action")]
        self.assertIn("RevealProductSecret", actions)
        self.assertIn("UpdateProductDynamicRegister", actions)

        b.open("/console/products")
        self.assertIn("browser_fleet", [a.text for a in b.all("main tbody td a")])
        b.screenshot("products")

    def test_device_added_by_hand_downloads_its_device_info_json(self):
        b = self.admin
        product_id = self.create_product("browser_manual")
        b.follow(b.find("a[href$='/devices']"))
        form = b.find("form[action$='/devices']")
        form.find_element(By.NAME, "name").send_keys("lamp-1")
        b.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.assertEqual(b.title(), "Device added")
        psk = b.find("#device-psk").text
        self.assertTrue(psk)
        link = b.find("a.download")
        self.assertEqual(link.get_attribute("download"), "device_info.json")
        link.click()
        path = os.path.join(b.downloads, "device_info.json")
        b.wait(lambda _: os.path.exists(path) and os.path.getsize(path) > 0)
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
        self.assertEqual(
            info,
            {"auth_mode": "KEY", "productId": product_id, "deviceName": "lamp-1", "key_deviceinfo": {"deviceSecret": psk}},
        )
        # The credential is shown once: the device list does not have it.
        b.open("/console/products/%s/devices" % product_id)
        self.assertEqual([c.text for c in b.all("td.device-name")], ["lamp-1"])
        self.assertNotIn(psk, b.driver.page_source)

    def test_application_created_shows_its_secret_once(self):
        b = self.admin
        product_id = self.create_product("browser_apps")
        b.open("/console/applications")
        self.assertEqual(b.title(), "Applications")
        form = b.find("#create-application")
        form.find_element(By.NAME, "name").send_keys("backend")
        form.find_element(By.CSS_SELECTOR, "input[name=products][value='%s']" % product_id).click()
        b.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.assertEqual(b.title(), "Application created")
        self.assertEqual(b.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus"), 201)
        app_id = b.find("#app-id").text
        secret = b.find("#app-secret").text
        self.assertRegex(app_id, r"^app[A-Z0-9]{10}$")
        self.assertRegex(secret, r"^[A-Za-z0-9]{32,}$")
        self.assertTrue(b.find("button.copy[data-copy=app-secret]").is_displayed())
        self.assertIn("shown this once", b.text())
        # Once: the list shows the application, never its secret.
        b.open("/console/applications")
        self.assertIn(app_id, [c.text for c in b.all("code.app-id")])
        self.assertNotIn(secret, b.driver.page_source)
        b.screenshot("applications")

    def test_device_page_from_the_list_edit_desired_and_disable(self):
        b = self.admin
        product_id = self.create_product("browser_device")
        # Registration on (auto-create), so that a real unit registers and connects once.
        card = b.find("#dynamic-registration")
        for name in ("enabled", "autocreate"):
            card.find_element(By.CSS_SELECTOR, "input[name=%s]" % name).click()
        limit = card.find_element(By.CSS_SELECTOR, "input[name=limit]")
        limit.clear()
        limit.send_keys("5")
        b.submit(card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        b.follow(b.find("a.reveal"))
        secret = b.find("#product-secret").text
        units = tempfile.mkdtemp(prefix="iothub-fleet-")
        try:
            status, summary, stderr = self.fleet(product_id, secret, units, 1)
        finally:
            shutil.rmtree(units, ignore_errors=True)
        self.assertEqual((status, summary["registered"]), (0, 1), stderr)

        # From the list (filtered by status) to the device's page.
        b.open("/console/products/%s/devices" % product_id)
        b.find("form.filter select[name=status] option[value=offline]").click()
        b.submit(b.find("form.filter button[type=submit]"))
        self.assertEqual([c.text for c in b.all("td.device-name")], ["unit-1"])
        b.follow(b.find("td.device-name a"))
        self.assertEqual(b.title(), "unit-1")
        self.assertEqual(b.find(".device-state").text, "enabled")
        self.assertEqual(b.find(".device-status").text, "offline")
        self.assertEqual(b.find(".device-address").text, "127.0.0.1")
        self.assertEqual(b.find(".device-fetched").text, "yes")
        self.assertRegex(b.find(".device-activated").text, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertEqual([r.text for r in b.all("#registrations .attempt-reason")], ["registered"])

        # Edit desired: saved, and shown with the shadow's new version.
        editor = b.find("textarea#shadow-desired")
        editor.clear()
        editor.send_keys('{"target_temperature": 21.5, "mode": "eco"}')
        b.submit(b.find("form[action$='/shadow'] button[type=submit]"))
        self.assertIn("Desired state saved.", b.text())
        self.assertEqual(b.find(".shadow-version").text, "1")
        self.assertIn('"mode": "eco"', b.find("textarea#shadow-desired").get_attribute("value"))
        # Not JSON: a clear error, nothing changed.
        editor = b.find("textarea#shadow-desired")
        editor.clear()
        editor.send_keys('{"mode": ')
        b.submit(b.find("form[action$='/shadow'] button[type=submit]"))
        self.assertIn("not valid JSON", b.find("p.error").text)
        self.assertEqual(b.find(".shadow-version").text, "1")
        b.open("/console/products/%s/devices/unit-1" % product_id)
        self.assertIn('"mode": "eco"', b.find("textarea#shadow-desired").get_attribute("value"))
        # The whole page up to the desired state's editor in one picture.
        b.driver.set_window_size(1280, 1400)
        b.screenshot("device")
        b.driver.set_window_size(1280, 800)

        # Disable it.
        b.submit(b.find("#device-toggle"))
        self.assertIn("Device disabled.", b.text())
        self.assertEqual(b.find(".device-state").text, "disabled")
        self.assertEqual(b.find("#device-toggle").text, "Enable device")
        b.open("/console/products/%s/devices?status=disabled" % product_id)
        self.assertEqual([c.text for c in b.all("td.device-name")], ["unit-1"])

    def test_a_file_with_a_bad_line_is_reported_and_creates_nothing(self):
        b = self.admin
        product_id = self.create_product("browser_import")
        b.open("/console/products/%s/devices" % product_id)
        folder = tempfile.mkdtemp(prefix="iothub-import-")
        try:
            path = os.path.join(folder, "units.csv")
            with open(path, "w", encoding="utf-8") as file:
                file.write("DeviceName\nmeter-1\nmeter 2\nmeter-3\n")
            form = b.find("form#import")
            form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
            b.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.assertIn("Nothing was created", b.find("p.error").text)
        self.assertEqual([c.text for c in b.all("#import-problems .problem-line")], ["3"])
        self.assertIn("DeviceName must match", b.find("#import-problems .problem-reason").text)
        self.assertEqual(b.all("td.device-name"), [])

    def test_a_viewer_signed_in_elsewhere_changes_nothing(self):
        product_id = self.create_product("browser_viewed")
        viewer = Browser()
        try:
            viewer.sign_in(VIEWER)
            self.assertEqual(viewer.find("header .role").text, "viewer")
            # No form that changes something, on any page.
            viewer.open("/console/products")
            self.assertIn("browser_viewed", viewer.text())
            self.assertEqual(viewer.all("form[action='/console/products']"), [])
            viewer.open("/console/products/" + product_id)
            self.assertEqual(viewer.all("a[href*='confirm']"), [])
            self.assertEqual(viewer.all("#dynamic-registration button[type=submit]"), [])
            for box in viewer.all("#dynamic-registration input:not([type=hidden])"):
                self.assertFalse(box.is_enabled(), box.get_attribute("name"))
            viewer.open("/console/products/%s/devices" % product_id)
            self.assertEqual(viewer.all("form[method=post][action$='/devices']"), [])
            # A direct POST with the viewer's own valid CSRF token is refused.
            token = viewer.csrf()
            for path, fields in (
                ("/console/products", {"name": "viewer_made", "auth": "psk"}),
                ("/console/products/%s/registration" % product_id, {"enabled": "on", "autocreate": "on", "limit": "9"}),
                ("/console/products/%s/devices" % product_id, {"name": "viewer-dev"}),
                ("/console/products/%s/disable" % product_id, {}),
            ):
                status, title, text = viewer.post(path, dict(fields, _csrf=token))
                self.assertEqual((status, title), (403, "Not allowed"), path + ": " + text)
                self.assertIn("A viewer can see everything and change nothing.", text)
        finally:
            viewer.quit()
        b = self.admin.open("/console/products")
        self.assertNotIn("viewer_made", b.text())
        b.open("/console/products/" + product_id)
        self.assertFalse(b.find("#dynamic-registration input[name=enabled]").is_selected())
        b.open("/console/products/%s/devices" % product_id)
        self.assertEqual(b.all("td.device-name"), [])

    def test_markup_in_a_description_renders_as_text(self):
        payload = '<script>alert("xss")</script><img src=x onerror=alert(2) id=injected>'
        self.create_product("browser_markup", payload)
        b = self.admin
        self.assertEqual(b.find("dl.facts dd:nth-of-type(3)").text, payload)
        with self.assertRaises(NoAlertPresentException):
            b.driver.switch_to.alert.text
        scripts = [s.get_attribute("src") for s in b.all("script")]
        self.assertEqual(scripts, [ORIGIN + "/console/assets/console.js"])
        self.assertEqual(b.all("main img"), [])
        self.assertEqual(b.all("#injected"), [])

    def test_a_change_without_the_csrf_token_is_refused(self):
        b = self.admin.open("/console/products")
        # A form submitted after its hidden token was removed.
        form = b.find("form[action='/console/products']")
        form.find_element(By.NAME, "name").send_keys("browser_forged")
        b.driver.execute_script("arguments[0].querySelector('input[name=_csrf]').remove()", form)
        b.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.assertEqual(b.title(), "Refused")
        self.assertEqual(b.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus"), 403)
        self.assertIn("security token is missing or wrong", b.text())
        # A script's POST without the token, and with a wrong one.
        b.open("/console/products")
        status, title, text = b.post("/console/products", {"name": "browser_forged", "auth": "psk"})
        self.assertEqual((status, title), (403, "Refused"), text)
        b.open("/console/products")
        wrong = ("x" if b.csrf()[0] != "x" else "y") + b.csrf()[1:]
        status, title, text = b.post("/console/products", {"_csrf": wrong, "name": "browser_forged", "auth": "psk"})
        self.assertEqual((status, title), (403, "Refused"), text)
        # With the token the same request is accepted: the refusals were the token's.
        b.open("/console/products")
        status, title, text = b.post("/console/products", {"_csrf": b.csrf(), "name": "browser_tokened", "auth": "psk"})
        self.assertEqual((status, title), (200, "browser_tokened"), text)
        b.open("/console/products")
        listed = b.text()
        self.assertNotIn("browser_forged", listed)
        self.assertIn("browser_tokened", listed)

    def test_firmware_upload_and_an_update_task_that_refreshes_itself(self):
        b = self.admin
        product_id = self.create_product("browser_ota")
        b.follow(b.find("a[href$='/devices']"))
        form = b.find("form[action$='/devices']")
        form.find_element(By.NAME, "name").send_keys("ota-1")
        b.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        psk = b.find("#device-psk").text

        # The Firmware page, from the product page.
        b.open("/console/products/" + product_id)
        b.follow(b.find("a.firmware"))
        self.assertEqual(b.title(), "Firmware of browser_ota")
        work = tempfile.mkdtemp(prefix="iothub-ota-")
        device = None
        try:
            # Over the hub's limit (1 MiB in this test): the page says so, and nothing is stored.
            too_large = os.path.join(work, "too-large.bin")
            with open(too_large, "wb") as file:
                file.write(os.urandom(3 << 20))
            upload = b.find("form#upload-firmware")
            self.assertIn("Up to 1.0 MiB.", upload.text)
            upload.find_element(By.NAME, "version").send_keys("2.0.0")
            upload.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(too_large)
            b.submit(upload.find_element(By.CSS_SELECTOR, "button[type=submit]"))
            self.assertEqual(b.driver.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus"), 413)
            self.assertIn("The file is larger than this hub accepts (1.0 MiB, 1048576 bytes).", b.find("p.error").text)
            self.assertEqual([c.text for c in b.all("td.firmware-version")], [])

            firmware = os.urandom(150_000)
            path = os.path.join(work, "browser-2.0.0.bin")
            with open(path, "wb") as file:
                file.write(firmware)
            upload = b.find("form#upload-firmware")
            upload.find_element(By.NAME, "version").clear()
            upload.find_element(By.NAME, "version").send_keys("2.0.0")
            upload.find_element(By.NAME, "name").send_keys("browser build")
            upload.find_element(By.NAME, "description").send_keys("uploaded by the browser test")
            upload.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
            b.submit(upload.find_element(By.CSS_SELECTOR, "button[type=submit]"))
            self.assertIn("Firmware version 2.0.0 uploaded.", b.text())
            self.assertEqual([c.text for c in b.all("td.firmware-version")], ["2.0.0"])
            self.assertEqual(b.find("code.firmware-md5").text, hashlib.md5(firmware).hexdigest(), "the MD5 the hub computed")
            self.assertEqual(b.find("td.firmware-size").get_attribute("title"), "150000 bytes")
            b.screenshot("firmware")

            # A task for the device (offline for now), through the task form.
            task = b.find("form#create-task")
            self.assertEqual(Select(task.find_element(By.NAME, "version")).first_selected_option.text, "2.0.0")
            task.find_element(By.CSS_SELECTOR, "input[name=mode][value=names]").click()
            task.find_element(By.NAME, "devices").send_keys("ota-1")
            b.submit(task.find_element(By.CSS_SELECTOR, "button[type=submit]"))
            self.assertRegex(b.title(), r"^Update task \d+$")
            self.assertIn("Update task created.", b.text())
            self.assertEqual(b.find("td.device-state").text, "waiting (device offline)")
            self.assertEqual(b.find("#task-progress").get_attribute("data-finished"), "false")
            page = b.find("html")
            b.driver.execute_script("window.iothubMarker = 'no reload'")

            # The device comes online with 1.0.0, gets the update, downloads, burns, reports 2.0.0.
            tool = os.environ.get("IOTHUB_DEVICE", "")
            written = os.path.join(work, "device-firmware.bin")
            device = subprocess.Popen(
                [
                    tool, "run", "--product-id", product_id, "--device-name", "ota-1", "--psk", psk, "--firmware-version", "1.0.0",
                    "--firmware-file", written, "--interval", "3600", "--http", os.environ["HUB_HTTP_URL"], "--mqtt", os.environ["HUB_MQTT"],
                ],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            # Read in one script: the section may be replaced between finding a cell and reading it.
            state = "var cell = document.querySelector('#task-progress td.device-state'); return cell && cell.textContent"
            b.wait(lambda d: d.execute_script(state) == "success")
            self.assertEqual(b.driver.execute_script("return window.iothubMarker"), "no reload", "the page updated itself")
            self.assertFalse(EC.staleness_of(page)(b.driver), "the same document, not a new page")
            self.assertEqual(b.find(".task-status").text, "finished")
            self.assertEqual(b.find("#task-progress").get_attribute("data-finished"), "true")
            self.assertEqual(b.find("#task-progress .count-success").text, "1")
            b.screenshot("ota-task")
            with open(written, "rb") as file:
                self.assertEqual(hashlib.md5(file.read()).hexdigest(), hashlib.md5(firmware).hexdigest(), "the device got the file")
        finally:
            if device:
                device.terminate()
                try:
                    output, _ = device.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    device.kill()
                    output, _ = device.communicate()
                print("iothub-device run:\n" + output)
            shutil.rmtree(work, ignore_errors=True)

        # The device list shows the new version; both changes are in the operator audit.
        b.open("/console/products/%s/devices" % product_id)
        self.assertIn("2.0.0", b.find("main tbody tr").text)
        b.open("/console/audit")
        actions = [cell.text for cell in b.all("td.audit-action")]
        self.assertIn("UploadFirmware", actions)
        self.assertIn("BatchUpdateFirmware", actions)


def main():
    os.environ["NO_PROXY"] = ",".join(x for x in ("127.0.0.1,localhost", os.environ.get("NO_PROXY")) if x)
    os.environ["no_proxy"] = os.environ["NO_PROXY"]
    suite = unittest.TestLoader().loadTestsFromTestCase(ConsoleBrowserTests)
    only = sys.argv[1:]
    if only:
        suite = unittest.TestSuite(t for t in suite if any(o in t.id() for o in only))
    started = time.time()
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = max(result.testsRun - failed - len(result.skipped), 0)  # a setUpClass error runs no test
    print("%d passed, %d failed, %d skipped (%.1f s)" % (passed, failed, len(result.skipped), time.time() - started))
    sys.stdout.flush()
    sys.exit(0 if failed == 0 and not result.skipped and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
