from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.release import version_info
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models import zoho_mapping
from .common import configure, require_sidecar

LIST = {
    "instance_id": {"fields": {"display_name": {}}},
    "name": {},
    "odoo_model": {},
    "zoho_app": {},
    "zoho_module": {},
    "binding_count": {},
    "last_sync": {},
    "rejection_count": {},
    "active": {},
}
# Every instance's copy of the shipped mappings: three on, four (leads, deals, products, items) off.
SHIPPED = {
    "crm_accounts",
    "crm_contacts",
    "books_contacts",
    "crm_leads",
    "crm_deals",
    "crm_products",
    "books_items",
}
PAIRS = {"sequence": {}, "odoo_field": {}, "zoho_fields": {}, "direction": {}, "transform": {}, "options": {}}
# The form as the web client reads it: the pairs come with the mapping, in their order.
FORM = {
    **LIST,
    "match_odoo": {},
    "match_zoho": {},
    "odoo_domain": {},
    "last_check": {},
    "sync_progress": {},
    "field_ids": {"fields": PAIRS, "limit": 40, "order": "sequence ASC, id ASC"},
}
ODOO_19 = version_info[0] >= 19


@tagged("post_install", "-at_install")
class TestMappings(TransactionCase):
    """The Mappings menu: each instance's mappings listed from the sidecar, a mapping and its field
    pairs edited in one form (the pairs are an editable list whose web_save commands become the
    sidecar's create, write and unlink), Validate, Restore, and the pickers of both sides' fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.manager = new_test_user(
            cls.env, "zoho_mapping_manager", groups="base.group_user,zoho_connector_core.group_zoho_manager"
        )
        cls.user = new_test_user(
            cls.env, "zoho_mapping_user", groups="base.group_user,zoho_connector_core.group_zoho_user"
        )
        cls.mappings = cls.env["zoho.mapping"].with_user(cls.manager).with_context(active_test=False)

    def setUp(self):
        super().setUp()
        # An instance of its own for each test (the sidecar keeps what a test leaves), with the
        # shipped mappings it starts with; archived afterwards, so that nothing of it is forwarded.
        instances = self.env["zoho.instance"].with_user(self.manager)
        self.instance = instances.create({"name": "Mappings", "apps": "crm"})
        self.addCleanup(self.instance.write, {"active": False})

    def in_sidecar(self, model, domain, fields):
        return self.sidecar.execute(
            model,
            "search_read",
            domain,
            fields=fields,
            order="sequence, id",
            context={"allowed_company_ids": [self.env.company.id], "active_test": False},
        )

    def pairs_in_sidecar(self, mapping_id):
        rows = self.in_sidecar(
            "zoho.mapping.field",
            [["mapping_id", "=", mapping_id]],
            ["odoo_field", "zoho_fields", "transform"],
        )
        return [(row["odoo_field"], row["zoho_fields"], row["transform"]) for row in rows]

    def new_mapping(self, name, pairs, **values):
        """A mapping saved as the form saves a new one: its pairs as CREATE commands."""
        vals = {
            "instance_id": self.instance.id,
            "name": name,
            "odoo_model": "res.partner.category",
            "zoho_app": "crm",
            "zoho_module": "Tags_%s" % name,
            "match_odoo": "name",
            "match_zoho": "Name",
            "field_ids": [[0, "virtual_%d" % n, pair] for n, pair in enumerate(pairs)],
            **values,
        }
        return self.mappings.browse().web_save(vals, FORM)[0]

    def test_the_list_shows_each_instances_mappings_with_their_counts(self):
        listed = self.mappings.web_search_read([("instance_id", "=", self.instance.id)], LIST, limit=80)
        rows = {row["name"]: row for row in listed["records"]}
        self.assertEqual(set(rows), SHIPPED)
        accounts = rows["crm_accounts"]
        self.assertEqual(
            (accounts["odoo_model"], accounts["zoho_module"], accounts["active"]),
            ("res.partner", "Accounts", True),
        )
        self.assertEqual(
            (accounts["binding_count"], accounts["rejection_count"], accounts["last_sync"]), (0, 0, False)
        )
        self.assertEqual(accounts["instance_id"], {"id": self.instance.id, "display_name": "Mappings"})
        # grouped by instance, as the menu opens it (switched-off mappings included)
        domain = [("instance_id", "=", self.instance.id)]
        if ODOO_19:
            groups = self.mappings.formatted_read_group(domain, ["instance_id"], ["__count"])
            self.assertEqual(
                [(g["instance_id"][0], g["__count"]) for g in groups], [(self.instance.id, len(SHIPPED))]
            )
        else:
            groups = self.mappings.read_group(domain, ["__count"], ["instance_id"])
            self.assertEqual(
                [(g["instance_id"][0], g["instance_id_count"]) for g in groups],
                [(self.instance.id, len(SHIPPED))],
            )
        # every field the views show is one the sidecar serves
        for model, spec in (("zoho.mapping", FORM), ("zoho.mapping.field", PAIRS)):
            served = self.sidecar.execute(model, "fields_get", [], ["type"])
            computed = {name for name in spec if self.env[model]._fields[name].compute or name == "field_ids"}
            self.assertFalse(set(spec) - computed - set(served), "fields the sidecar does not serve")

    def test_a_mapping_and_its_pairs_are_created_changed_and_deleted_from_the_form(self):
        saved = self.new_mapping(
            "tags_form",
            [
                {"sequence": 1, "odoo_field": "name", "zoho_fields": "Name"},
                {"sequence": 2, "odoo_field": "color", "zoho_fields": "Colour", "direction": "to_zoho"},
                {"sequence": 3, "odoo_field": "active", "zoho_fields": "Active", "odoo_until": 0},
            ],
        )
        mapping_id = saved["id"]
        self.assertEqual(
            self.pairs_in_sidecar(mapping_id),
            [("name", "Name", "plain"), ("color", "Colour", "plain"), ("active", "Active", "plain")],
        )
        pairs = saved["field_ids"]
        self.assertEqual([pair["odoo_field"] for pair in pairs], ["name", "color", "active"])
        self.assertEqual(pairs[1]["direction"], "to_zoho")
        # an empty "until" (0 in the form) is every series, not "until Odoo 0"
        self.assertIs(self.env["zoho.mapping.field"]._to_sidecar({"odoo_until": 0})["odoo_until"], False)
        # one save: change a pair, delete one, add one (the commands the web client sends)
        form = self.mappings.browse(mapping_id).web_save(
            {
                "field_ids": [
                    [1, pairs[0]["id"], {"zoho_fields": "Tag_Name"}],
                    [2, pairs[1]["id"], False],
                    [4, pairs[2]["id"], False],
                    [
                        0,
                        "virtual_9",
                        {
                            "sequence": 4,
                            "odoo_field": "parent_id",
                            "zoho_fields": "Parent",
                            "transform": "plain",
                        },
                    ],
                ]
            },
            FORM,
        )[0]
        self.assertEqual(
            self.pairs_in_sidecar(mapping_id),
            [("name", "Tag_Name", "plain"), ("active", "Active", "plain"), ("parent_id", "Parent", "plain")],
        )
        self.assertEqual(
            [pair["zoho_fields"] for pair in form["field_ids"]], ["Tag_Name", "Active", "Parent"]
        )
        # the list's order and the form's ids are the sidecar's
        self.assertEqual(
            [pair["id"] for pair in form["field_ids"]],
            [
                row["id"]
                for row in self.in_sidecar("zoho.mapping.field", [["mapping_id", "=", mapping_id]], ["id"])
            ],
        )
        # server code sees the pairs as a One2many too
        self.assertEqual(
            self.mappings.browse(mapping_id).read(["field_ids"])[0]["field_ids"],
            [pair["id"] for pair in form["field_ids"]],
        )
        # deleting the mapping deletes its pairs
        self.mappings.browse(mapping_id).unlink()
        self.assertEqual(self.pairs_in_sidecar(mapping_id), [])

    def test_a_new_mapping_and_a_new_line_get_their_defaults(self):
        """The form's first call for a new record; a new line comes with its parent's values, which
        the ORM would read from a table these models do not have."""
        new = self.mappings.with_context(default_instance_id=self.instance.id).onchange(
            {},
            [],
            {
                "instance_id": {"fields": {"display_name": {}}},
                "zoho_app": {},
                "sequence": {},
                "field_ids": {},
            },
        )
        self.assertEqual(
            new["value"],
            {
                "instance_id": {"id": self.instance.id, "display_name": "Mappings"},
                "zoho_app": "crm",
                "sequence": 10,
                "field_ids": [],
            },
        )
        accounts = self.mappings.search(
            [("instance_id", "=", self.instance.id), ("name", "=", "crm_accounts")]
        )
        parent = {"id": accounts.id, "odoo_model": "res.partner", "field_ids": [[1, 1, {"zoho_fields": "X"}]]}
        line = (
            self.env["zoho.mapping.field"].with_user(self.manager).onchange({"mapping_id": parent}, [], PAIRS)
        )
        self.assertEqual(
            line["value"],
            {
                "sequence": 10,
                "odoo_field": False,
                "zoho_fields": False,
                "direction": "both",
                "transform": "plain",
                "options": "{}",
            },
        )

    def test_an_invalid_pair_shows_the_sidecars_message_and_keeps_nothing_of_the_save(self):
        bad = {"odoo_field": "name", "zoho_fields": "Name", "transform": "name_split"}
        with self.assertRaisesRegex(ValidationError, "name_split needs two Zoho fields"):
            self.new_mapping("tags_invalid", [{"odoo_field": "color", "zoho_fields": "Colour"}, bad])
        # the new mapping the save began with is gone with its pairs
        self.assertEqual(self.in_sidecar("zoho.mapping", [["name", "=", "tags_invalid"]], ["id"]), [])
        # on a saved mapping: the good lines of a refused save are not created twice when it is sent again
        mapping_id = self.new_mapping("tags_retry", [{"odoo_field": "name", "zoho_fields": "Name"}])["id"]
        first = self.pairs_in_sidecar(mapping_id)
        commands = [
            [0, "virtual_1", {"odoo_field": "color", "zoho_fields": "Colour"}],
            [0, "virtual_2", bad],
        ]
        with self.assertRaisesRegex(ValidationError, "name_split needs two Zoho fields"):
            self.mappings.browse(mapping_id).web_save({"field_ids": commands}, FORM)
        self.assertEqual(self.pairs_in_sidecar(mapping_id), first)
        commands[1][2] = dict(bad, zoho_fields="First_Name,Last_Name")
        self.mappings.browse(mapping_id).web_save({"field_ids": commands}, FORM)
        self.assertEqual(
            self.pairs_in_sidecar(mapping_id),
            [*first, ("color", "Colour", "plain"), ("name", "First_Name,Last_Name", "name_split")],
        )
        # a mapping field the sidecar refuses: its words, as a ValidationError
        with self.assertRaisesRegex(ValidationError, "name cannot change"):
            self.mappings.browse(mapping_id).write({"name": "renamed"})

    def test_validate_says_what_to_change_and_keeps_it_on_the_mapping(self):
        accounts = self.new_mapping("tags_parent", [{"odoo_field": "name", "zoho_fields": "Name"}])
        child = self.new_mapping(
            "tags_child",
            [
                {"odoo_field": "name", "zoho_fields": "Name"},
                {
                    "odoo_field": "parent_id",
                    "zoho_fields": "Parent",
                    "transform": "lookup",
                    "options": '{"mapping": "tags_parent"}',
                },
            ],
        )
        # the mapping it looks up goes away: the child cannot run, and Validate says why
        self.mappings.browse(accounts["id"]).unlink()
        notification = self.mappings.browse(child["id"]).action_validate()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertEqual(notification["params"]["title"], "tags_child needs changes")
        self.assertIn(
            "looks a field up through mapping tags_parent, which this instance does not have",
            notification["params"]["message"],
        )
        self.assertEqual(notification["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        form = self.mappings.browse(child["id"]).web_read({"last_check": {}})[0]
        self.assertIn("tags_parent", form["last_check"])
        with self.assertRaises(AccessError):
            self.mappings.with_user(self.user).browse(child["id"]).action_validate()

    def test_initial_sync_and_its_progress_on_the_form(self):
        mapping = self.mappings.search(
            [("instance_id", "=", self.instance.id), ("name", "=", "crm_accounts")]
        )
        # the instance is not connected yet: the sidecar says so
        with self.assertRaisesRegex(UserError, "must be connected"):
            mapping.action_initial_sync()
        # the progress shown is this mapping's entry of the instance's sync_progress
        row = {
            "__progress": {
                "done": 120,
                "total": 450,
                "state": "waiting",
                "note": "Zoho's limit for the day is spent",
            }
        }
        self.assertEqual(mapping._sidecar_computed("sync_state", row), "waiting")
        self.assertEqual(
            mapping._sidecar_computed("sync_progress", row),
            "Waiting: 120 of 450 records (Zoho's limit for the day is spent)",
        )
        self.assertEqual(mapping.web_read({"sync_state": {}, "sync_progress": {}})[0]["sync_progress"], False)

    def test_restore_gives_a_shipped_mapping_its_definition_back(self):
        accounts = self.mappings.search(
            [("instance_id", "=", self.instance.id), ("name", "=", "crm_accounts")]
        )
        shipped = self.pairs_in_sidecar(accounts.id)
        pairs = accounts.web_read(FORM)[0]["field_ids"]
        accounts.web_save({"field_ids": [[2, pairs[0]["id"], False]], "active": False}, FORM)
        self.assertEqual(self.pairs_in_sidecar(accounts.id), shipped[1:])
        done = accounts.action_restore()
        # the sidecar puts it back as a new record: the form opens that one
        again = self.mappings.search([("instance_id", "=", self.instance.id), ("name", "=", "crm_accounts")])
        self.assertEqual(done["params"]["next"]["res_id"], again.id)
        self.assertEqual(self.pairs_in_sidecar(again.id), shipped)
        self.assertFalse(again.read(["active"])[0]["active"], "restoring leaves the switch as it was")
        # on the instance: every shipped mapping, the deleted ones included
        self.mappings.search(
            [("instance_id", "=", self.instance.id), ("name", "=", "books_contacts")]
        ).unlink()
        done = self.instance.with_user(self.manager).action_restore_mappings()
        self.assertIn("books_contacts", done["params"]["message"])
        names = self.mappings.search_read([("instance_id", "=", self.instance.id)], ["name"])
        self.assertEqual({row["name"] for row in names}, SHIPPED)

    def test_the_instance_counts_and_opens_its_mappings(self):
        self.assertEqual(
            self.instance.with_user(self.manager).web_read({"mapping_count": {}})[0]["mapping_count"],
            len(SHIPPED),
        )
        action = self.instance.with_user(self.manager).action_view_mappings()
        self.assertEqual(
            (action["res_model"], action["domain"]),
            ("zoho.mapping", [("instance_id", "=", self.instance.id)]),
        )

    def test_only_managers_change_mappings(self):
        mappings = self.env["zoho.mapping"].with_user(self.user)
        self.assertEqual(mappings.search_count([("instance_id", "=", self.instance.id)]), 3)
        with self.assertRaises(AccessError):
            mappings.create({"instance_id": self.instance.id, "name": "nope"})
        with self.assertRaises(AccessError):
            mappings.search([("instance_id", "=", self.instance.id)], limit=1).write({"active": False})

    def test_the_pickers_offer_odoo_fields_with_their_type_and_zoho_fields_when_the_sidecar_lists_them(self):
        mappings = self.mappings
        odoo = mappings.field_choices("odoo", "res.partner")
        choices = {choice["value"]: choice["label"] for choice in odoo["choices"]}
        self.assertTrue(odoo["available"])
        self.assertEqual(choices["email"], "Email · char")
        self.assertEqual(choices["country_id"], "Country · many2one → res.country")
        self.assertNotIn("child_ids", choices, "a list of records cannot be one Zoho value")
        missing = mappings.field_choices("odoo", "no.such.model")
        self.assertEqual((missing["available"], missing["choices"]), (False, []))
        self.assertIn("no model no.such.model", missing["note"])
        models = {choice["value"] for choice in mappings.field_choices("model", "")["choices"]}
        self.assertTrue({"res.partner", "res.partner.category"} <= models)
        self.assertFalse({"zoho.mapping", "zoho.forwarding", "res.config.settings"} & models)
        accounts = mappings.search([("instance_id", "=", self.instance.id), ("name", "=", "crm_accounts")])
        # this sidecar has no zoho_fields yet: free text, and the note says so
        free = mappings.field_choices("zoho", accounts.id)
        self.assertEqual((free["available"], free["choices"]), (False, []))
        self.assertIn("type their API names", free["note"])
        # a sidecar that lists them
        listed = [
            {
                "api_name": "Account_Name",
                "label": "Account Name",
                "data_type": "text",
                "custom": False,
                "read_only": False,
            },
            {
                "api_name": "Score__c",
                "label": "Score",
                "data_type": "integer",
                "custom": True,
                "read_only": True,
            },
        ]
        with patch.object(zoho_mapping, "call", return_value=listed) as asked:
            offered = mappings.field_choices("zoho", accounts.id)
        self.assertEqual(asked.call_args.args[1:], ("zoho.mapping", "zoho_fields", [accounts.id]))
        self.assertEqual(
            offered["choices"],
            [
                {"value": "Account_Name", "label": "Account Name · text"},
                {"value": "Score__c", "label": "Score · integer · custom · read-only"},
            ],
        )
        self.assertIn("Save the mapping first", mappings.field_choices("zoho", False)["note"])
