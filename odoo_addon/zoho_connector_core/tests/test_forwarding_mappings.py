import json

from odoo.tests import TransactionCase, tagged

from ..models.zoho_forwarding import MODELS_PARAM, PATCHED
from .common import committed, configure, require_sidecar, sidecar_instance

MODEL = "res.partner.category"  # in every database (base), and not forwarded by code of ours


@tagged("post_install", "-at_install")
class TestForwardingByMapping(TransactionCase):
    """A model an active mapping names is forwarded with no code for it, as res.partner is (the
    same post-commit calls), and no longer once no active mapping names it. res.partner stays
    with zoho.sync.mixin alone.

    These tests commit (in their own cursors), as forwarding happens after a real commit; they
    remove what they create."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        # The settings in this test's transaction (where mappings are saved) and committed (where the
        # changes are sent from, after commit).
        configure(cls.env)
        committed(cls.registry, configure)
        kept = committed(cls.registry, lambda env: env["ir.config_parameter"].get_param(MODELS_PARAM))
        cls.addClassCleanup(cls.restore_forwarding, kept)
        cls.context = {"allowed_company_ids": [cls.env.company.id]}
        cls.instance = sidecar_instance(cls, "Forwarding by mapping")

    @classmethod
    def restore_forwarding(cls, kept):
        def restore(env):
            env["ir.config_parameter"].set_param(MODELS_PARAM, kept or "[]")
            env["zoho.forwarding"]._zoho_apply(env["zoho.forwarding"]._zoho_kept())

        committed(cls.registry, restore)

    def setUp(self):
        super().setUp()
        # The mapping, saved through Odoo as the form saves it: Odoo asks the sidecar for the models.
        self.mapping = self.env["zoho.mapping"].create(
            {
                "instance_id": self.instance,
                "name": "tags_%s" % self._testMethodName[-20:],
                "odoo_model": MODEL,
                "zoho_app": "crm",
                "zoho_module": "Tags_%s" % self._testMethodName[-20:],
                "match_odoo": "name",
                "match_zoho": "Name",
                "field_ids": [[0, False, {"odoo_field": "name", "zoho_fields": "Name"}]],
            }
        )
        self.addCleanup(self.mapping.unlink)

    def forwarded(self, model, record_id):
        """(operation, ids) of the push jobs of this instance that name this record."""
        jobs = self.sidecar.execute(
            "zoho.job",
            "search_read",
            [["kind", "=", "zoho.push"], ["instance_id", "=", self.instance]],
            fields=["payload"],
            order="id",
            context=self.context,
        )
        return [
            (job["payload"]["operation"], job["payload"]["ids"])
            for job in jobs
            if job["payload"]["model"] == model and record_id in job["payload"]["ids"]
        ]

    def cleanup(self, model, *ids):
        self.addCleanup(
            committed,
            self.registry,
            lambda env: env[model].with_context(zoho_skip_push=True).browse(list(ids)).exists().unlink(),
        )

    def patched(self, model):
        return model in getattr(self.registry, PATCHED, ()) and any(
            getattr(self.registry[model].__dict__.get(method), "zoho_forwarding", False)
            for method in ("create", "write", "unlink")
        )

    def test_the_writes_of_a_mapped_model_are_forwarded_after_commit_as_res_partners_are(self):
        self.assertTrue(self.patched(MODEL))
        self.assertIn(MODEL, json.loads(self.env["ir.config_parameter"].get_param(MODELS_PARAM)))

        def change(env):
            tags = env[MODEL].create([{"name": "Fwd tag A"}, {"name": "Fwd tag B"}])
            tags[0].write({"name": "Fwd tag A2"})
            tags[0].write({"color": 3})
            return tags.ids

        ids = committed(self.registry, change)
        self.assertEqual(self.forwarded(MODEL, ids[0]), [("create", ids), ("write", ids[:1])])
        committed(self.registry, lambda env: env[MODEL].browse(ids).unlink())
        self.assertEqual(self.forwarded(MODEL, ids[1]), [("create", ids), ("unlink", ids)])
        # the sidecar's own writes are not sent back, and a rollback sends nothing
        own = committed(
            self.registry, lambda env: env[MODEL].create({"name": "From Zoho"}).ids, {"zoho_skip_push": True}
        )
        self.cleanup(MODEL, *own)

        def rolled_back(env):
            tag = env[MODEL].create({"name": "Rolled back"})
            env.flush_all()
            env.cr.rollback()
            return tag.id

        gone = committed(self.registry, rolled_back)
        self.assertEqual(self.forwarded(MODEL, own[0]) + self.forwarded(MODEL, gone), [])

    def test_a_mapping_switched_off_stops_the_forwarding(self):
        self.mapping.write({"active": False})
        self.assertFalse(self.patched(MODEL))
        self.assertNotIn(MODEL, json.loads(self.env["ir.config_parameter"].get_param(MODELS_PARAM)))
        ids = committed(self.registry, lambda env: env[MODEL].create({"name": "Not forwarded"}).ids)
        self.cleanup(MODEL, *ids)
        self.assertEqual(self.forwarded(MODEL, ids[0]), [])
        self.mapping.write({"active": True})
        self.assertTrue(self.patched(MODEL))

    def test_res_partner_is_forwarded_once_by_its_mixin(self):
        self.assertIn("res.partner", self.env["zoho.forwarding"]._zoho_refresh())
        self.assertFalse(self.patched("res.partner"))
        ids = committed(self.registry, lambda env: env["res.partner"].create({"name": "Once"}).ids)
        self.cleanup("res.partner", *ids)
        self.assertEqual(self.forwarded("res.partner", ids[0]), [("create", ids)])

    def test_odoo_starts_forwarding_the_last_known_models_while_the_sidecar_is_down(self):
        forwarding = self.env["zoho.forwarding"]
        configure(self.env, url="http://127.0.0.1:9")
        self.addCleanup(configure, self.env)  # before the mapping's own cleanup, which asks the sidecar
        # the registry loads again (a restart): the models come from the list kept, not the sidecar
        forwarding._unregister_hook()
        self.assertFalse(self.patched(MODEL))
        forwarding._register_hook()
        self.assertTrue(self.patched(MODEL))
        # the cron cannot ask the sidecar: it says so, and the forwarding stays
        with self.assertLogs(
            "odoo.addons.zoho_connector_core.models.zoho_forwarding", level="WARNING"
        ) as logs:
            forwarding._cron_refresh()
        self.assertIn("cannot be reached", logs.output[0])
        self.assertIn(MODEL, logs.output[0])
        self.assertTrue(self.patched(MODEL))
