import os
import time
import unittest

import requests

from odoo import Command
from odoo.release import version_info
from odoo.tests import tagged

from ..models.sidecar import URL_PARAM
from .common import SIDECAR_URL, SIMULATOR_URL
from .test_screens import ScreensCase


@tagged("post_install", "-at_install")
class TestRecordStatusScreens(ScreensCase):
    """Zoho on a synced record, in a browser: a partner pushed to the simulator's CRM through an
    instance whose Odoo is this one shows its Zoho contact with a link that opens it, the last sync
    and Sync now; a partner Zoho refused shows why; the list filters "Not in Zoho" and "Zoho sync
    failed"; and a stopped sidecar leaves the form as it is, with "status unavailable"."""

    def setUp(self):
        super().setUp()
        if not SIMULATOR_URL:
            raise unittest.SkipTest("ZOHO_SIM_URL is not set: the record status needs the Zoho simulator")
        # Only this test's instance syncs: the other tests' instances would take the pushes too.
        context = {"allowed_company_ids": [self.env.company.id]}
        others = self.sidecar.execute("zoho.instance", "search", [["active", "=", True]], context=context)
        if others:
            self.sidecar.execute("zoho.instance", "write", others, {"active": False}, context=context)
            self.addCleanup(
                self.sidecar.execute, "zoho.instance", "write", others, {"active": True}, context=context
            )
        # The models forwarded in this process, as they were (refreshing them below patches and unpatches).
        forwarding = self.env["zoho.forwarding"]
        self.addCleanup(forwarding._zoho_apply, forwarding._zoho_kept())

    def connected_instance(self):
        instance = self.odoo_instance("Zoho Status")
        self.authorize(instance)
        return instance

    def push(self, instance, partners):
        """What Odoo's forwarding sends after commit (a test never commits), then the sidecar's work."""
        context = {"allowed_company_ids": [self.env.company.id]}
        with self.sidecar_calls_odoo():
            self.sidecar.execute(
                "zoho.job", "enqueue_push", "res.partner", partners.ids, "create", [], {}, context=context
            )
            busy = [["instance_id", "=", instance.id], ["state", "in", ["pending", "running"]]]
            for _ in range(120):
                if not self.sidecar.execute("zoho.job", "search_count", busy, context=context):
                    break
                time.sleep(0.5)

    def test_zoho_on_synced_partners_their_filters_and_a_stopped_sidecar(self):
        instance = self.connected_instance()
        # The models the mappings name (res.partner, by the shipped ones) get the line and the filters.
        self.assertIn("res.partner", self.env["zoho.forwarding"]._zoho_refresh())
        partners = self.env["res.partner"]
        synced = partners.create({"name": "Ada Lovelace", "email": "ada@example.com"})
        refused = partners.create({"name": "Carl Three", "email": "carl@example"})
        absent = partners.create({"name": "Nobody Yet", "email": "nobody@example.com"})
        self.push(instance, synced | refused)

        status = self.env["zoho.record.status"].get_status("res.partner", (synced | refused | absent).ids)
        records = status["records"]
        self.assertEqual(
            [records[str(p.id)]["state"] for p in (synced, refused, absent)],
            ["synced", "failed", "not_in_zoho"],
        )
        [link] = records[str(synced.id)]["bindings"]
        self.assertTrue(link["url"].startswith(SIMULATOR_URL + "/eu/crm/tab/Contacts/"), link["url"])
        page = requests.get(link["url"], timeout=10)
        self.assertEqual(page.status_code, 200)
        self.assertIn("ada@example.com", page.text)
        three = [("id", "in", (synced | refused | absent).ids)]
        self.assertEqual(partners.search(three + [("zoho_sync_state", "=", "not_in_zoho")]), refused | absent)
        self.assertEqual(partners.search(three + [("zoho_sync_state", "=", "failed")]), refused)

        form = "/web#id=%d&model=res.partner&view_type=form"
        not_in_zoho = self.env["ir.actions.act_window"].create(
            {
                "name": "Contacts not in Zoho",
                "res_model": "res.partner",
                "view_mode": "list" if version_info[0] >= 18 else "tree",
                "context": "{'search_default_zoho_not_in_zoho': 1}",
            }
        )
        shots = [
            self.screenshot(
                form % synced.id, ".o_zoho_record_status .o_zoho_binding a", "record_status_synced"
            ),
            self.screenshot(link["url"], "#record-name", "record_status_zoho_page"),
            self.screenshot(
                form % refused.id, ".o_zoho_record_status .o_zoho_failed", "record_status_failed"
            ),
            self.screenshot(
                "/web#action=%d&view_type=list" % not_in_zoho.id,
                ".o_list_view .o_data_row",
                "record_status_filter",
            ),
        ]
        # Any model a mapping names, with no code for it: a contact tag, once a mapping syncs tags.
        self.env["zoho.mapping"].create(
            {
                "instance_id": instance.id,
                "name": "tags_status",
                "odoo_model": "res.partner.category",
                "zoho_module": "Tags",
                "match_odoo": "name",
                "match_zoho": "Name",
                "field_ids": [Command.create({"sequence": 1, "odoo_field": "name", "zoho_fields": "Name"})],
            }
        )
        tag = self.env["res.partner.category"].create({"name": "Engines"})
        shots.append(
            self.screenshot(
                "/web#id=%d&model=res.partner.category&view_type=form" % tag.id,
                ".o_zoho_record_status .o_zoho_not_linked",
                "record_status_tag_form",
            )
        )
        # The sidecar stops answering: the form opens as ever, its Zoho line says so.
        params = self.env["ir.config_parameter"]
        self.addCleanup(params.set_param, URL_PARAM, SIDECAR_URL)  # before the instance's own clean-up
        params.set_param(URL_PARAM, "http://127.0.0.1:9")
        shots.append(
            self.screenshot(
                form % synced.id, ".o_zoho_record_status .o_zoho_unavailable", "record_status_unavailable"
            )
        )
        for path in shots:
            self.assertGreater(os.path.getsize(path), 10000, path)
