import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .sidecar import call
from .zoho_binding import APPS

_logger = logging.getLogger(__name__)

CONFLICTS = [("newest", "Newest change wins"), ("odoo", "Odoo wins"), ("zoho", "Zoho wins")]
ON_ODOO_DELETE = [("delete", "Delete in Zoho"), ("keep", "Keep in Zoho")]
ON_ZOHO_DELETE = [("archive", "Archive in Odoo"), ("delete", "Delete in Odoo"), ("keep", "Keep in Odoo")]
SYNC_STATES = [("running", "Running"), ("waiting", "Waiting"), ("done", "Done"), ("cancelled", "Cancelled")]
# Odoo-side fields filled from the instance's sync_progress, per mapping name.
SYNC_FIELDS = ("sync_state", "sync_done", "sync_total", "sync_progress")
# What the forwarded models depend on: a mapping's model and whether it is on.
FORWARDING_FIELDS = ("odoo_model", "active")
# Odoo field types a pair can carry (the sidecar's MappingCheck tells which transform takes which).
PAIRABLE = {
    "char",
    "text",
    "html",
    "selection",
    "integer",
    "float",
    "monetary",
    "boolean",
    "date",
    "datetime",
    "many2one",
}
MAGIC = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date", "__last_update"}


class ZohoMapping(models.Model):
    """How one Odoo model and one Zoho module correspond for an instance, kept by the sidecar."""

    _name = "zoho.mapping"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Mapping"
    _auto = False
    _order = "instance_id, sequence, id"
    _sidecar_json = ("odoo_domain", "odoo_defaults")
    _sidecar_json_indent = None  # a domain reads as one line, as Odoo writes it

    instance_id = fields.Many2one("zoho.instance", required=True)
    name = fields.Char(
        required=True,
        help="Unique per instance, and it cannot change: the sync cursors and rejected records are "
        "kept under it.",
    )
    sequence = fields.Integer(
        default=10, help="Lower syncs first: a mapping others look up goes before them."
    )
    active = fields.Boolean(default=True)
    shipped = fields.Char(
        "Shipped As",
        readonly=True,
        help="The shipped mapping this one was copied from: Restore puts its definition back.",
    )
    odoo_model = fields.Char(required=True, help="The model's technical name, e.g. res.partner or crm.lead.")
    odoo_domain = fields.Text(
        default="[]",
        help='Which records of the model belong to this mapping, e.g. [["is_company", "=", true]].',
    )
    odoo_defaults = fields.Text(
        "Defaults in Odoo",
        default="{}",
        help='Values a record created in Odoo from Zoho gets, e.g. {"is_company": true}.',
    )
    zoho_app = fields.Selection(APPS, required=True, default="crm")
    zoho_module = fields.Char(
        required=True, help="The Zoho module's API name, e.g. Contacts, Leads, or Books' contact."
    )
    match_odoo = fields.Char(
        "Match on (Odoo)", required=True, help="First linking: records with equal values are the same."
    )
    match_zoho = fields.Char("Match on (Zoho)", required=True)
    conflict = fields.Selection(CONFLICTS, "On Conflict", default="newest")
    on_odoo_delete = fields.Selection(ON_ODOO_DELETE, "Deleted in Odoo", default="delete")
    on_zoho_delete = fields.Selection(ON_ZOHO_DELETE, "Deleted in Zoho", default="archive")
    last_check = fields.Text(readonly=True, help="What Validate found, in words.")
    check_fits = fields.Boolean(compute="_compute_check_fits", help="Validate found nothing to change.")
    checked_at = fields.Datetime("Checked", readonly=True)
    binding_count = fields.Integer("Linked Records", readonly=True)
    last_sync = fields.Datetime("Last Synced", readonly=True)
    rejection_count = fields.Integer(
        "Rejected Records",
        readonly=True,
        help="Records Zoho or Odoo refused that have not gone through since.",
    )
    field_ids = fields.One2many("zoho.mapping.field", "mapping_id", "Field Pairs")
    sync_state = fields.Selection(SYNC_STATES, "Initial Sync", compute="_compute_sync")
    sync_done = fields.Integer("Records Done", compute="_compute_sync")
    sync_total = fields.Integer("Records in All", compute="_compute_sync")
    sync_progress = fields.Char("Initial Sync Progress", compute="_compute_sync")

    def _compute_check_fits(self):
        kept = self.filtered(lambda mapping: isinstance(mapping.id, int))
        checks = {row["id"]: row for row in kept.read(["last_check"])} if kept else {}
        for mapping in self:
            mapping.check_fits = self._sidecar_computed("check_fits", checks.get(mapping.id, {}))

    # The initial sync's progress: the instance's sync_progress has an entry per mapping name.

    def _compute_sync(self):
        kept = self.filtered(lambda mapping: isinstance(mapping.id, int))
        rows = kept.read(["instance_id", "name"]) if kept else []
        rows = self._sidecar_rows(rows, {name: {} for name in SYNC_FIELDS})
        by_id = {row["id"]: row for row in rows}
        for mapping in self:
            row = by_id.get(mapping.id, {})
            for name in SYNC_FIELDS:
                mapping[name] = self._sidecar_computed(name, row)

    def _sidecar_names(self, names):
        names = list(names)
        if set(names) & set(SYNC_FIELDS):
            names += ["instance_id", "name"]
        if "check_fits" in names:
            names.append("last_check")
        return super()._sidecar_names(dict.fromkeys(names))

    def _sidecar_rows(self, rows, specification):
        rows = super()._sidecar_rows(rows, specification)
        if rows and set(specification) & set(SYNC_FIELDS):
            instances = sorted({_id(row.get("instance_id")) for row in rows} - {False})
            found = call(self.env, "zoho.instance", "read", instances, ["sync_progress"]) if instances else []
            progress = {instance["id"]: instance.get("sync_progress") or {} for instance in found}
            for row in rows:
                entry = progress.get(_id(row.get("instance_id")), {}).get(row.get("name"))
                row["__progress"] = entry if isinstance(entry, dict) else {}
        return rows

    def _sidecar_computed(self, name, row):
        if name == "check_fits":
            # The sidecar's summary of a check with no problem: "fits", then its notes.
            return (row.get("last_check") or "").startswith("fits")
        if name not in SYNC_FIELDS:
            return super()._sidecar_computed(name, row)
        entry = row.get("__progress") or {}
        done, total, state = entry.get("done") or 0, entry.get("total") or 0, entry.get("state")
        if name == "sync_state":
            return state if state in dict(SYNC_STATES) else False
        if name == "sync_done":
            return done
        if name == "sync_total":
            return total
        if not state:
            return False
        words = _(
            "%(state)s: %(done)s of %(total)s records",
            state=dict(SYNC_STATES).get(state, state),
            done=done,
            total=total,
        )
        return "%s (%s)" % (words, entry["note"]) if entry.get("note") else words

    # Saving through Odoo changes which models are forwarded.

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["zoho.forwarding"]._zoho_refresh_quietly()
        return records

    def write(self, vals):
        result = super().write(vals)
        if set(vals) & set(FORWARDING_FIELDS):
            self.env["zoho.forwarding"]._zoho_refresh_quietly()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["zoho.forwarding"]._zoho_refresh_quietly()
        return result

    # Buttons

    def action_validate(self):
        self._sidecar_check("write")
        results = self._sidecar_action("action_validate")
        results = results if isinstance(results, list) else [results]
        problems = [
            "%s: %s" % (result.get("name"), problem) if len(results) > 1 else problem
            for result in results
            for problem in result.get("problems") or []
        ]
        notes = [note for result in results for note in result.get("notes") or []]
        names = ", ".join(result.get("name") or "" for result in results)
        if problems:
            return self._notify(
                _("%s needs changes", names), "\n".join(problems), "warning", sticky=True, reload=True
            )
        return self._notify(
            _("%s fits", names), "\n".join(notes) or _("It fits the Odoo it syncs with."), reload=True
        )

    def action_initial_sync(self):
        self._sidecar_check("write")
        jobs = self._sidecar_action("action_initial_sync")
        return self._notify(
            _("Initial sync started"),
            _("%s job(s) queued: the progress shows on this form.", len(jobs)),
            reload=True,
        )

    def action_restore(self):
        """Gives shipped mappings their shipped definition back. The sidecar puts each back as a new
        record (its pairs with it), so the form opens the one restored."""
        self._sidecar_check("write")
        rows = self.with_context(active_test=False).read(["instance_id", "name"])
        restored = self._sidecar_action("action_restore")
        self.env["zoho.forwarding"]._zoho_refresh_quietly()
        if not restored:
            return self._notify(
                _("Nothing to restore"), _("Only a shipped mapping has a definition to restore.")
            )
        action = self._notify(_("Restored"), _("Shipped definition restored: %s.", ", ".join(restored)))
        if len(rows) == 1:
            again = self.with_context(active_test=False).search(
                [("instance_id", "=", _id(rows[0]["instance_id"])), ("name", "=", rows[0]["name"])], limit=1
            )
            action["params"]["next"] = {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": again.id,
                "views": [[False, "form"]],
                "target": "current",
            }
        return action

    def action_view_bindings(self):
        self.ensure_one()
        row = self.with_context(active_test=False).read(
            ["instance_id", "odoo_model", "zoho_app", "zoho_module"]
        )[0]
        action = self.env["ir.actions.act_window"]._for_xml_id("zoho_connector_core.action_zoho_binding")
        action["domain"] = [
            ("instance_id", "=", _id(row["instance_id"])),
            ("odoo_model", "=", row["odoo_model"]),
            ("zoho_app", "=", row["zoho_app"]),
            ("zoho_object", "=", row["zoho_module"]),
        ]
        return action

    def action_view_rejections(self):
        self.ensure_one()
        row = self.with_context(active_test=False).read(["instance_id", "name"])[0]
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "zoho_connector_core.action_zoho_sync_rejection"
        )
        action["domain"] = [("instance_id", "=", _id(row["instance_id"])), ("mapping", "=", row["name"])]
        return action

    # The pickers of the mapping form (its model, and each pair's fields on both sides)

    @api.model
    def field_choices(self, side, scope):
        """What the form's pickers offer: {"available", "note", "choices": [{"value", "label"}]}.

        side "model": Odoo's models; "odoo": the fields of the model `scope`, from Odoo's registry;
        "zoho": the Zoho fields of the module mapping `scope` syncs, as the sidecar lists them.
        When there is nothing to offer, the field stays free text and `note` says why.
        """
        self._sidecar_check("read")
        if side == "model":
            return self._model_choices()
        if side == "odoo":
            return self._odoo_field_choices(scope)
        if side == "zoho":
            return self._zoho_field_choices(scope)
        return _choices([], _("Nothing to pick from: type the name."))

    @api.model
    def _model_choices(self):
        registry = self.env.registry
        choices = [
            {"value": name, "label": "%s (%s)" % (cls._description or name, name)}
            for name, cls in sorted(registry.items())
            if not (cls._abstract or cls._transient) and cls._auto
        ]
        return _choices(choices)

    @api.model
    def _odoo_field_choices(self, model):
        if not model or model not in self.env:
            return _choices(
                [], _("Odoo has no model %s: install its module, or type the field's name.", model or "?")
            )
        choices = []
        for name, field in sorted(
            self.env[model]._fields.items(), key=lambda item: (item[1].string or "", item[0])
        ):
            if name in MAGIC or field.type not in PAIRABLE:
                continue
            kind = "%s → %s" % (field.type, field.comodel_name) if field.type == "many2one" else field.type
            words = [field.string or name, kind]
            if field.readonly:
                words.append(_("read-only"))
            choices.append({"value": name, "label": " · ".join(words)})
        return _choices(choices)

    @api.model
    def _zoho_field_choices(self, mapping_id):
        if not mapping_id:
            return _choices([], _("Save the mapping first: Zoho's fields are listed for a saved mapping."))
        try:
            answer = call(self.env, "zoho.mapping", "zoho_fields", [int(mapping_id)])
        except UserError as error:
            message = str(error.args[0] if error.args else error)
            if "zoho_fields" in message and "does not exist" in message:
                return _choices([], _("This sidecar cannot list Zoho's fields: type their API names."))
            return _choices([], _("Zoho's fields could not be listed (%s): type their API names.", message))
        if isinstance(answer, dict):  # {mapping id: fields}
            answer = answer.get(str(mapping_id)) or answer.get(int(mapping_id)) or []
        if answer and isinstance(answer[0], list):  # one list per mapping asked
            answer = answer[0]
        choices = []
        for field in answer or []:
            if not isinstance(field, dict) or not field.get("api_name"):
                continue
            words = [field.get("label") or field["api_name"]]
            if field.get("data_type"):
                words.append(field["data_type"])
            if field.get("custom"):
                words.append(_("custom"))
            if field.get("read_only"):
                words.append(_("read-only"))
            choices.append({"value": field["api_name"], "label": " · ".join(words)})
        return _choices(choices)


def _id(value):
    """A many2one as the sidecar gives it ([id, name]) or as an id."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else False
    return value or False


def _choices(choices, note=""):
    return {"available": bool(choices), "note": note, "choices": choices}
