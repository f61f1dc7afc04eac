import base64
import json
import os
import time
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

import requests

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import SIDECAR_URL, SIMULATOR_URL, configure, require_sidecar

SCREENSHOTS = os.environ.get("ZOHO_SCREENSHOTS", "/tmp/zoho-connector-screens")
SHOW = """(async () => {
    const click = %s, selector = %s;
    const find = async (css) => {
        for (let i = 0; i < 150; i++) {
            if (document.querySelector(css)) { return true; }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        console.error('nothing matched ' + css);
        return false;
    };
    if (click) {
        if (!await find(click)) { return; }
        document.querySelectorAll(click).forEach((element) => element.click());
    }
    if (await find(selector)) { console.log('test successful'); }
})()"""


@tagged("post_install", "-at_install")
class TestScreens(HttpCase):
    """In a browser: the authorize round trip, and the instance form, job list, job graph,
    dashboard and rejected records filled from a running sidecar, and the settings (each saved as
    a PNG under ZOHO_SCREENSHOTS)."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.env.ref("base.user_admin").write({"tz": "UTC"})

    def screenshot(self, url_path, selector, name, click=""):
        """Opens the page as admin, clicks what `click` selects (e.g. group headers), waits for
        `selector` and saves the page as `name`.png.

        Odoo's own browser_js drives the browser (its set-up differs between 17, 18 and 19); the
        page is captured once the check has passed, before browser_js closes the browser.
        """
        shots = []
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, code, timeout, **kwargs):
            wait_code_ok(browser, code, timeout, **kwargs)
            time.sleep(1)  # let the last paint land
            shots.append(
                browser._websocket_send("Page.captureScreenshot", with_future=True).result(timeout=30)
            )

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self.browser_js(
                url_path, SHOW % (json.dumps(click), json.dumps(selector)), login="admin", timeout=60
            )
        self.assertEqual(len(shots), 1, "the page was not captured")
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name + ".png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shots[0]["data"]))
        return path

    def authorize(self, instance):
        """Presses Authorize, consents on the (simulated) Zoho page and follows Zoho back to Odoo."""
        action = instance.action_authorize()
        self.assertEqual(action["type"], "ir.actions.act_url")
        consent_page = urlsplit(action["url"])
        params = dict(parse_qsl(consent_page.query))
        consent = requests.post(
            f"{consent_page.scheme}://{consent_page.netloc}{consent_page.path}/consent",
            data={**params, "decision": "approve"},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(consent.status_code, 302, consent.text)
        back = requests.get(consent.headers["Location"], allow_redirects=False, timeout=10)
        self.assertEqual(back.status_code, 302, back.text)
        return back.headers["Location"]

    def test_authorize_then_the_instance_form_job_list_and_dashboard(self):
        instances = self.env["zoho.instance"]
        instance = instances.create(
            {
                "name": "Zoho Europe",
                "data_center": "eu",
                "apps": "crm",
                "scopes": "ZohoCRM.modules.ALL",
                "client_id": "1000.DEMO",
                "client_secret": "demo-secret",
                "redirect_uri": SIDECAR_URL + "/zoho/oauth/callback",
            }
        )
        if SIMULATOR_URL:
            landed = urlsplit(self.authorize(instance))
            self.assertEqual((landed.netloc, landed.path), (urlsplit(self.base_url()).netloc, "/web"))
            self.assertEqual(landed.fragment, "id=%d&model=zoho.instance&view_type=form" % instance.id)
            self.assertEqual(dict(parse_qsl(landed.query))["zoho_status"], "connected")
            self.assertEqual(instance.read(["state"])[0]["state"], "connected")
        context = {"allowed_company_ids": [self.env.company.id]}
        for n in range(4):
            self.sidecar.execute("zoho.job", "enqueue", "noop", {"n": n}, instance.id, context=context)
        for n in range(2):
            self.sidecar.execute(
                "zoho.job",
                "enqueue",
                "noop",
                {"later": n},
                instance.id,
                10,
                "2100-01-01 00:00:00",
                context=context,
            )
        # A pull without its fields cannot be decoded: it fails at once, for the error column.
        self.sidecar.execute(
            "zoho.job",
            "enqueue",
            "zoho.pull",
            {"app": "crm"},
            instance.id,
            10,
            False,
            False,
            1,
            context=context,
        )
        time.sleep(2)  # the sidecar's workers run what is due

        form = self.screenshot(
            "/web#id=%d&model=zoho.instance&view_type=form" % instance.id,
            ".o_form_view .o_field_widget[name='name']",
            "instance_form",
        )
        jobs = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_job&view_type=list",
            ".o_list_view .o_data_row",
            "job_list",
            click=".o_list_view .o_group_header",
        )
        graph = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_job&view_type=graph",
            ".o_graph_renderer canvas",
            "job_graph",
        )
        dashboard = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_dashboard", "svg.o_zoho_jobs_chart", "dashboard"
        )
        settings = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_settings",
            ".o_field_widget[name='zoho_sidecar_url'] input",
            "settings",
        )
        rejected_button = self.screenshot(
            "/web#id=%d&model=zoho.instance&view_type=form" % instance.id,
            ".o_form_view button[name='action_view_rejections']",
            "instance_rejected_button",
        )
        rejected = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_sync_rejection&view_type=list",
            ".o_list_view",
            "rejected_records",
        )
        for path in (form, jobs, graph, dashboard, settings, rejected_button, rejected):
            self.assertGreater(os.path.getsize(path), 10000, path)
