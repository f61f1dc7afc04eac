from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import configure, require_sidecar

SPEC = {
    "instance_id": {"fields": {"display_name": {}}},
    "mapping": {},
    "odoo_id": {},
    "zoho_id": {},
    "rejected_by": {},
    "code": {},
    "message": {},
    "attempts": {},
    "last_seen": {},
}
FORM_ONLY = ("odoo_model", "zoho_object", "operation", "zoho_field", "blocking_zoho_id", "first_seen")


@tagged("post_install", "-at_install")
class TestRejections(TransactionCase):
    """Rejected records: the sidecar's list per instance and mapping, the instance's count, and the
    managers' Retry (the Swift tests make Zoho refuse records and watch them cross)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.manager = new_test_user(
            cls.env, "zoho_rejection_manager", groups="base.group_user,zoho_connector_core.group_zoho_manager"
        )
        cls.user = new_test_user(
            cls.env, "zoho_rejection_user", groups="base.group_user,zoho_connector_core.group_zoho_user"
        )
        cls.instance = cls.env["zoho.instance"].with_user(cls.manager).create({"name": "Rejections"})

    def test_the_list_reads_the_sidecar_per_instance_and_mapping(self):
        rejections = self.env["zoho.sync.rejection"].with_user(self.user)
        domain = [("instance_id", "=", self.instance.id), ("mapping", "=", "crm_accounts")]
        listed = rejections.web_search_read(domain, SPEC, limit=80)
        self.assertEqual((listed["length"], listed["records"]), (0, []))
        self.assertEqual(rejections.search_count([("instance_id", "=", self.instance.id)]), 0)
        # every field the views show is one the sidecar serves
        served = self.sidecar.execute("zoho.sync.rejection", "fields_get", [], ["type"])
        self.assertFalse((set(SPEC) | set(FORM_ONLY)) - set(served), "fields the sidecar does not serve")

    def test_the_instance_counts_them_and_opens_its_own(self):
        count = self.instance.with_user(self.user).read(["rejection_count"])[0]["rejection_count"]
        self.assertEqual(count, 0)
        action = self.instance.with_user(self.user).action_view_rejections()
        self.assertEqual(action["res_model"], "zoho.sync.rejection")
        self.assertEqual(action["domain"], [("instance_id", "=", self.instance.id)])

    def test_only_managers_retry(self):
        rejections = self.env["zoho.sync.rejection"]
        with self.assertRaises(AccessError):
            rejections.with_user(self.user).browse(10**9).action_retry()
        # a record that went through since the list was shown has nothing left to retry
        done = rejections.with_user(self.manager).browse(10**9).action_retry()
        self.assertEqual(done["params"]["message"], "0 record(s) queued to sync again.")
