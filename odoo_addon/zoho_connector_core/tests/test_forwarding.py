from odoo.tests import TransactionCase, tagged

from .common import committed, configure, require_sidecar


@tagged("post_install", "-at_install")
class TestForwarding(TransactionCase):
    """res.partner changes reach the sidecar once their transaction commits, batched, and only then.

    These tests commit (in their own cursors), as forwarding happens after a real commit; they
    remove what they create.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        committed(cls.registry, configure)
        company = cls.env.company.id
        cls.instance = cls.sidecar.execute(
            "zoho.instance",
            "create",
            {"name": "Forwarding test", "apps": ["crm"]},
            context={"allowed_company_ids": [company]},
        )
        cls.addClassCleanup(
            cls.sidecar.execute,
            "zoho.instance",
            "write",
            [cls.instance],
            {"active": False},
            context={"allowed_company_ids": [company]},
        )

    def forwarded(self, partner_id):
        """(operation, ids) of the push jobs that name this partner."""
        jobs = self.sidecar.execute(
            "zoho.job",
            "search_read",
            [["kind", "=", "zoho.push"], ["instance_id", "=", self.instance]],
            fields=["payload"],
            order="id",
            context={"allowed_company_ids": [self.env.company.id]},
        )
        return [
            (j["payload"]["operation"], j["payload"]["ids"])
            for j in jobs
            if partner_id in j["payload"]["ids"]
        ]

    def cleanup(self, *ids):
        self.addCleanup(
            committed,
            self.registry,
            lambda env: (
                env["res.partner"].with_context(zoho_skip_push=True).browse(list(ids)).exists().unlink()
            ),
        )

    def test_changes_are_forwarded_after_commit_in_one_call_per_operation(self):
        def change(env):
            partners = env["res.partner"].create([{"name": "Fwd A"}, {"name": "Fwd B"}, {"name": "Fwd C"}])
            partners[:2].write({"phone": "+1 555 0100"})
            partners[1].write({"function": "Buyer"})
            return partners.ids

        ids = committed(self.registry, change)
        self.cleanup(*ids)
        self.assertEqual(self.forwarded(ids[0]), [("create", ids), ("write", ids[:2])])
        self.assertEqual(self.forwarded(ids[2]), [("create", ids)])

    def test_nothing_is_forwarded_after_a_rollback(self):
        def change(env):
            partner = env["res.partner"].create({"name": "Rolled back"})
            env.flush_all()
            partner_id = partner.id
            env.cr.rollback()
            return partner_id

        partner_id = committed(self.registry, change)
        self.assertEqual(self.forwarded(partner_id), [])

    def test_the_sidecars_own_writes_are_not_sent_back(self):
        ids = committed(
            self.registry,
            lambda env: env["res.partner"].create({"name": "From Zoho"}).ids,
            context={"zoho_skip_push": True},
        )
        self.cleanup(*ids)
        committed(
            self.registry,
            lambda env: env["res.partner"].browse(ids).write({"phone": "1"}),
            context={"zoho_skip_push": True},
        )
        self.assertEqual(self.forwarded(ids[0]), [])

    def test_a_deletion_is_forwarded(self):
        ids = committed(self.registry, lambda env: env["res.partner"].create({"name": "To delete"}).ids)
        committed(self.registry, lambda env: env["res.partner"].browse(ids).unlink())
        self.assertEqual(self.forwarded(ids[0]), [("create", ids), ("unlink", ids)])

    def test_a_sidecar_that_is_down_never_blocks_and_is_logged_once(self):
        committed(self.registry, lambda env: configure(env, url="http://127.0.0.1:9"))
        self.addCleanup(committed, self.registry, configure)
        with self.assertLogs(
            "odoo.addons.zoho_connector_core.models.zoho_sync_mixin", level="WARNING"
        ) as logs:
            ids = committed(
                self.registry,
                lambda env: env["res.partner"].create([{"name": "Offline %d" % n} for n in range(3)]).ids,
            )
        self.cleanup(*ids)
        self.assertEqual(len(logs.records), 1, logs.output)
        self.assertIn("3 change(s)", logs.output[0])
        self.assertTrue(committed(self.registry, lambda env: env["res.partner"].browse(ids).exists().ids))
