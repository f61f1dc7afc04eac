from odoo import _, fields, models

from .zoho_binding import APPS


class ZohoSyncRejection(models.Model):
    """A record Zoho or Odoo refused during a sync, kept by the sidecar until it goes through."""

    _name = "zoho.sync.rejection"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Rejected Record"
    _auto = False
    _order = "last_seen desc, id desc"

    instance_id = fields.Many2one("zoho.instance", readonly=True)
    mapping = fields.Char(readonly=True)
    odoo_model = fields.Char(readonly=True)
    odoo_id = fields.Integer("Odoo Record ID", readonly=True)
    zoho_app = fields.Selection(APPS, readonly=True)
    zoho_object = fields.Char("Zoho Module", readonly=True)
    zoho_id = fields.Char("Zoho Record ID", readonly=True)
    rejected_by = fields.Selection(
        [("zoho", "Zoho"), ("odoo", "Odoo"), ("mapping", "Mapping")],
        "Refused By",
        readonly=True,
        help="Mapping: a value the mapping cannot convert, such as a picklist value outside its value table.",
    )
    operation = fields.Selection([("create", "Create"), ("update", "Update")], readonly=True)
    code = fields.Char("Zoho Code", readonly=True)
    zoho_field = fields.Char(readonly=True)
    message = fields.Text("Error", readonly=True)
    blocking_zoho_id = fields.Char(
        "Duplicate Of (Zoho)",
        readonly=True,
        help="The Zoho record that already has the value: a change to it tries this record again.",
    )
    attempts = fields.Integer(readonly=True)
    first_seen = fields.Datetime("First Refused", readonly=True)
    last_seen = fields.Datetime("Last Attempt", readonly=True)

    def action_retry(self):
        self._sidecar_check("write")
        count = self._sidecar_action("action_retry")
        return self._notify(_("Retry"), _("%s record(s) queued to sync again.", count), reload=True)

    def action_open_odoo_record(self):
        self.ensure_one()
        row = self.read(["odoo_model", "odoo_id"])[0]
        return {
            "type": "ir.actions.act_window",
            "res_model": row["odoo_model"],
            "res_id": row["odoo_id"],
            "view_mode": "form",
        }
