import base64
import contextlib
import json
import os
import time
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

import requests

from odoo import Command
from odoo.release import version_info
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
# The mapping form's pairs edited as a person does: change a pair, delete one, add one, save.
EDIT_PAIRS = """(async () => {
    const pairs = ".o_field_widget[name='field_ids']";
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const shown = (element) =>
        element && element.offsetParent && getComputedStyle(element).visibility !== "hidden";
    const find = async (css, gone = false) => {
        for (let i = 0; i < 150; i++) {
            const found = document.querySelector(css);
            if (gone ? !shown(found) : found) { return found; }
            await sleep(100);
        }
        throw new Error((gone ? "still shown: " : "nothing matched ") + css);
    };
    const click = async (css) => {
        const element = await find(css);
        (element.querySelector("button") || element).click();
        await sleep(300);
    };
    const type = async (css, value) => {
        const input = await find(css);
        input.focus();
        input.value = value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
        await sleep(300);
    };
    try {
        await click(`${pairs} .o_data_row:nth-child(1) td[name='zoho_fields']`);
        await type(`${pairs} .o_selected_row td[name='zoho_fields'] input`, "Tag_Name");
        await click(`${pairs} .o_data_row:nth-child(2) .o_list_record_remove`);
        await click(`${pairs} .o_field_x2many_list_row_add a`);
        // the Odoo field picker offers the model's fields, with their type
        await find(`${pairs} .o_selected_row td[name='odoo_field'] datalist option[value='active']`);
        await type(`${pairs} .o_selected_row td[name='odoo_field'] input`, "active");
        await type(`${pairs} .o_selected_row td[name='zoho_fields'] input`, "Active");
        await click(".o_form_button_save");
        await find(".o_form_button_save", true);
        await find(`${pairs} .o_data_row:nth-child(3) td[name='zoho_fields']`);
        console.log("test successful");
    } catch (error) {
        console.error(error.message);
    }
})()"""


@tagged("post_install", "-at_install")
class ScreensCase(HttpCase):
    """Browser tests against a running sidecar, each page saved as a PNG under ZOHO_SCREENSHOTS."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.env.ref("base.user_admin").write({"tz": "UTC"})

    def screenshot(self, url_path, selector, name, click="", code=None):
        """Opens the page as admin, clicks what `click` selects (e.g. group headers), waits for
        `selector` and saves the page as `name`.png (or runs `code`, which logs 'test successful').

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
                url_path, code or SHOW % (json.dumps(click), json.dumps(selector)), login="admin", timeout=60
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

    def sidecar_calls_odoo(self):
        """While the sidecar calls this Odoo: its requests carry no browser's test cookie, which 19
        requires unless told to let every request through (17 and 18 let them through)."""
        allow = getattr(self, "allow_requests", None)
        return allow(all_requests=True) if allow else contextlib.nullcontext()

    @staticmethod
    def demo_instance(name):
        """The values of a CRM instance of the simulator's demo client, in the EU data centre."""
        return {
            "name": name,
            "data_center": "eu",
            "apps": "crm",
            "scopes": "ZohoCRM.modules.ALL",
            "client_id": "1000.DEMO",
            "client_secret": "demo-secret",
            "redirect_uri": SIDECAR_URL + "/zoho/oauth/callback",
        }

    def odoo_instance(self, name):
        """A CRM instance of the simulator's demo client whose Odoo is this one, archived after the test."""
        instance = self.env["zoho.instance"].create(
            {
                **self.demo_instance(name),
                "odoo_url": self.base_url(),
                "odoo_db": self.env.cr.dbname,
                "odoo_user": "admin",
                "odoo_api_key": self.odoo_api_key(),
            }
        )
        self.addCleanup(instance.write, {"active": False})
        return instance

    def odoo_api_key(self):
        """An API key of admin for the sidecar's calls to this Odoo (17 takes no expiry date)."""
        keys = self.env["res.users.apikeys"].with_user(self.env.ref("base.user_admin")).sudo()
        return keys._generate(None, "zoho-sidecar", *([False] if version_info[0] >= 18 else []))


@tagged("post_install", "-at_install")
class TestScreens(ScreensCase):
    """In a browser: the authorize round trip, and the instance form, job list, job graph,
    dashboard and rejected records filled from a running sidecar, and the settings."""

    def test_authorize_then_the_instance_form_job_list_and_dashboard(self):
        instances = self.env["zoho.instance"]
        instance = instances.create(self.demo_instance("Zoho Europe"))
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
        # An archived instance whose job failed: its failure is counted and shown, marked archived.
        archived = instances.create({"name": "Zoho Books (archived)", "data_center": "eu", "apps": "crm"})
        self.sidecar.execute(
            "zoho.job",
            "enqueue",
            "zoho.pull",
            {"app": "crm"},
            archived.id,
            10,
            False,
            False,
            1,
            context=context,
        )
        time.sleep(2)  # the sidecar's workers run what is due
        archived.write({"active": False})
        failed_pull = self.sidecar.execute(
            "zoho.job",
            "search",
            [["kind", "=", "zoho.pull"], ["state", "=", "failed"], ["instance_id", "=", instance.id]],
            context=context,
        )

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
        # The banner's count of failed jobs opens the list of exactly those jobs.
        dashboard_failed = self.screenshot(
            "/web#action=zoho_connector_core.action_zoho_dashboard",
            ".o_list_view .o_data_row",
            "dashboard_failed_jobs",
            click=".o_zoho_dashboard_banner a.o_zoho_failed_all",
        )
        job_form = self.screenshot(
            "/web#id=%d&model=zoho.job&view_type=form" % failed_pull[0],
            ".o_form_view .o_zoho_job_error",
            "job_form_failed",
        )
        logs = self.sidecar.execute("zoho.log", "search", [["job_id", "=", failed_pull[0]]], context=context)
        log_form = self.screenshot(
            "/web#id=%d&model=zoho.log&view_type=form" % logs[0],
            ".o_form_view .o_zoho_log_message",
            "log_form",
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
        shots = (
            form,
            jobs,
            graph,
            dashboard,
            dashboard_failed,
            job_form,
            log_form,
            settings,
            rejected_button,
            rejected,
        )
        for path in shots:
            self.assertGreater(os.path.getsize(path), 10000, path)

    def test_mappings_list_form_pairs_validate_and_initial_sync(self):
        """Zoho > Configuration > Mappings: the list per instance, the form with its pickers, the pairs
        edited inline in the browser, Validate's words, and the initial sync's progress, against an
        instance connected to the simulator whose Odoo is this one.

        What makes the sidecar call this Odoo runs first, from here: a browser's request would hold
        the test cursor the sidecar's call waits for, and from 18 on, requests without the browser's
        test cookie are refused once a browser has run."""
        instance = self.odoo_instance("Zoho Mappings")
        mappings = self.env["zoho.mapping"].with_context(active_test=False)
        accounts = mappings.search([("instance_id", "=", instance.id), ("name", "=", "crm_accounts")])
        tags = mappings.create(
            {
                "instance_id": instance.id,
                "name": "tags_ui",
                "odoo_model": "res.partner.category",
                "zoho_module": "Tags",
                "match_odoo": "name",
                "match_zoho": "Name",
                "field_ids": [
                    Command.create({"sequence": 1, "odoo_field": "name", "zoho_fields": "Name"}),
                    Command.create({"sequence": 2, "odoo_field": "color", "zoho_fields": "Colour"}),
                    Command.create({"sequence": 3, "odoo_field": "parent_id", "zoho_fields": "Parent"}),
                ],
            }
        )
        # Validate asks this Odoo: a many2one cannot take Zoho's value as it is, and it says so.
        with self.sidecar_calls_odoo():
            notification = tags.action_validate()
        self.assertEqual(
            (notification["params"]["title"], notification["params"]["type"]),
            ("tags_ui needs changes", "warning"),
        )
        carry = (
            "res.partner.category.parent_id is a many2one to res.partner.category field, "
            "which the plain transform cannot carry"
        )
        self.assertIn(carry, notification["params"]["message"])
        self.assertIn(carry, tags.read(["last_check"])[0]["last_check"])
        if SIMULATOR_URL:
            # The initial sync of one mapping, from Zoho's (the simulator's) side and this Odoo's.
            self.authorize(instance)
            with self.sidecar_calls_odoo():
                jobs = accounts.action_initial_sync()
                self.assertIn("job(s) queued", jobs["params"]["message"])
                progress = {}
                for _ in range(120):
                    read = self.sidecar.execute("zoho.instance", "read", [instance.id], ["sync_progress"])
                    progress = (read[0]["sync_progress"] or {}).get("crm_accounts", {})
                    if progress.get("state") == "done":
                        break
                    time.sleep(0.5)
            self.assertEqual(progress.get("state"), "done", progress)
            shown = ".o_field_widget[name='sync_done'] .o_progressbar"
        else:
            shown = ".o_field_widget[name='match_odoo'] datalist option[value='email']"
        accounts_form = "/web#id=%d&model=zoho.mapping&view_type=form" % accounts.id
        tags_form = "/web#id=%d&model=zoho.mapping&view_type=form" % tags.id
        shots = [
            self.screenshot(
                "/web#action=zoho_connector_core.action_zoho_mapping&view_type=list",
                ".o_list_view .o_data_row",
                "mapping_list",
                click=".o_list_view .o_group_header",
            ),
            self.screenshot(accounts_form, shown, "mapping_form"),
            self.screenshot(
                tags_form,
                ".o_form_view .alert-warning .o_field_widget[name='last_check']",
                "mapping_validate",
            ),
            self.screenshot(tags_form, "", "mapping_pairs_edited", code=EDIT_PAIRS),
        ]
        pairs = self.sidecar.execute(
            "zoho.mapping.field",
            "search_read",
            [["mapping_id", "=", tags.id]],
            fields=["odoo_field", "zoho_fields"],
            order="sequence, id",
        )
        self.assertEqual(
            [(p["odoo_field"], p["zoho_fields"]) for p in pairs],
            [("name", "Tag_Name"), ("parent_id", "Parent"), ("active", "Active")],
        )
        for path in shots:
            self.assertGreater(os.path.getsize(path), 10000, path)
