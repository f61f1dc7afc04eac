import json
import time

from odoo.exceptions import AccessError
from odoo.release import version_info
from odoo.tests import TransactionCase, tagged

from ..models.sidecar import URL_PARAM
from ..models.zoho_forwarding import MODELS_PARAM
from .common import configure, require_sidecar, sidecar_instance

MODEL = "res.partner.category"  # in every database (base), with a form, a list and a search view
LIST = "list" if version_info[0] >= 18 else "tree"


@tagged("post_install", "-at_install")
class TestRecordStatus(TransactionCase):
    """Zoho on synced records: the status the form's line shows (from the sidecar, in one call), the
    views that show it on the models the mappings name, the filters, Sync now and Unlink."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.context = {"allowed_company_ids": [cls.env.company.id]}
        cls.instance = sidecar_instance(cls, "Record status")
        cls.status = cls.env["zoho.record.status"]

    def link(self, partner, zoho_id):
        binding = self.sidecar.execute(
            "zoho.binding",
            "set_binding",
            self.instance,
            "crm",
            "Contacts",
            zoho_id,
            "res.partner",
            partner.id,
            context=self.context,
        )
        self.addCleanup(self.sidecar.execute, "zoho.binding", "unlink", [binding], context=self.context)
        return binding

    def test_the_views_of_the_mapped_models_show_the_status_and_the_filters(self):
        self.status._zoho_views([MODEL])
        form = self.env[MODEL].get_view(view_type="form")["arch"]
        search = self.env[MODEL].get_view(view_type="search")["arch"]
        listed = self.env[MODEL].get_view(view_type=LIST)["arch"]
        self.assertIn('name="zoho_record_status"', form)
        self.assertIn('name="zoho_sync_state"', listed)
        self.assertIn('name="zoho_not_in_zoho"', search)
        self.assertIn('name="zoho_failed"', search)
        # Asked again with the same models: nothing added twice.
        self.status._zoho_views([MODEL])
        again = self.env[MODEL].get_view(view_type="form")["arch"]
        self.assertEqual(again.count('name="zoho_record_status"'), 1)
        self.status._zoho_views([])
        self.assertNotIn("zoho_record_status", self.env[MODEL].get_view(view_type="form")["arch"])
        self.assertNotIn("zoho_not_in_zoho", self.env[MODEL].get_view(view_type="search")["arch"])
        self.assertNotIn("zoho_sync_state", self.env[MODEL].get_view(view_type=LIST)["arch"])

    def test_a_linked_partner_shows_its_zoho_record_and_the_filter_leaves_it_out(self):
        linked, alone = self.env["res.partner"].create([{"name": "Linked One"}, {"name": "Alone Two"}])
        binding = self.link(linked, "5550001")
        answer = self.status.get_status("res.partner", [linked.id, alone.id])
        self.assertTrue(answer["available"])
        self.assertTrue(answer["can_manage"], "admin is a Zoho manager")
        mine = answer["records"][str(linked.id)]
        self.assertEqual(mine["state"], "synced")
        [shown] = mine["bindings"]
        self.assertEqual(
            (shown["id"], shown["zoho_object"], shown["zoho_id"]), (binding, "Contacts", "5550001")
        )
        self.assertTrue(shown["url"].endswith("/crm/tab/Contacts/5550001"), shown["url"])
        self.assertEqual(answer["records"][str(alone.id)]["state"], "not_in_zoho")

        both = [("id", "in", [linked.id, alone.id])]
        partners = self.env["res.partner"]
        self.assertEqual(partners.search(both + [("zoho_sync_state", "=", "not_in_zoho")]), alone)
        self.assertFalse(partners.search(both + [("zoho_sync_state", "=", "failed")]))
        # The list's column: the page's records in one call, on the models the mappings name.
        self.env["ir.config_parameter"].set_param(MODELS_PARAM, json.dumps(["res.partner"]))
        self.assertEqual((linked | alone).mapped("zoho_sync_state"), ["synced", "not_in_zoho"])

    def test_unlink_forgets_the_link_and_sync_now_queues_a_push(self):
        partner = self.env["res.partner"].create({"name": "Unlink Me"})
        binding = self.sidecar.execute(
            "zoho.binding",
            "set_binding",
            self.instance,
            "crm",
            "Contacts",
            "5550002",
            "res.partner",
            partner.id,
            context=self.context,
        )
        self.assertTrue(self.status.action_unlink(binding))
        self.assertEqual(
            self.status.get_status("res.partner", partner.ids)["records"][str(partner.id)]["state"],
            "not_in_zoho",
        )

        self.assertGreaterEqual(self.status.action_sync_now("res.partner", partner.id), 1)
        job = self.status.get_status("res.partner", partner.ids)["records"][str(partner.id)]["job"]
        self.assertTrue(job, "the queued push shows on the record")
        self.assertEqual(job["kind"], "push")

    def test_a_zoho_user_sees_the_status_but_cannot_sync_or_unlink(self):
        user = self.env["res.users"].create(
            {
                "name": "Zoho Reader",
                "login": "zoho_status_reader",
                "groups_id" if "groups_id" in self.env["res.users"]._fields else "group_ids": [
                    (
                        6,
                        0,
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("zoho_connector_core.group_zoho_user").id,
                        ],
                    )
                ],
            }
        )
        partner = self.env["res.partner"].create({"name": "Read Only"})
        status = self.status.with_user(user)
        answer = status.get_status("res.partner", partner.ids)
        self.assertTrue(answer["available"])
        self.assertFalse(answer["can_manage"])
        with self.assertRaises(AccessError):
            status.action_sync_now("res.partner", partner.id)
        with self.assertRaises(AccessError):
            status.action_unlink(1)

    def test_a_sidecar_that_does_not_answer_makes_the_status_unavailable_quickly(self):
        partner = self.env["res.partner"].create({"name": "No Sidecar"})
        self.env["ir.config_parameter"].set_param(URL_PARAM, "http://127.0.0.1:9")  # nothing listens there
        start = time.monotonic()
        answer = self.status.get_status("res.partner", partner.ids)
        self.assertLess(time.monotonic() - start, 3)
        self.assertFalse(answer["available"])
        self.assertTrue(answer["message"])
        self.assertNotIn("Traceback", answer["message"])
