from odoo import fields, models

APPS = [("crm", "Zoho CRM"), ("books", "Zoho Books"), ("people", "Zoho People"), ("desk", "Zoho Desk")]


class ZohoBinding(models.Model):
    """The link between one Odoo record and one Zoho record, kept by the sidecar."""

    _name = "zoho.binding"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Binding"
    _auto = False
    _order = "id desc"

    instance_id = fields.Many2one("zoho.instance", required=True)
    odoo_model = fields.Char(required=True)
    odoo_id = fields.Integer("Odoo Record ID", required=True)
    odoo_record = fields.Reference(
        lambda self: [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])],
        compute="_compute_odoo_record",
    )
    zoho_app = fields.Selection(APPS, required=True)
    zoho_object = fields.Char("Zoho Module", required=True)
    zoho_id = fields.Char("Zoho Record ID", required=True)
    sync_hash = fields.Char(readonly=True)
    last_sync_date = fields.Datetime("Last Synced", readonly=True)
    last_direction = fields.Selection([("push", "Odoo → Zoho"), ("pull", "Zoho → Odoo")], readonly=True)
    zoho_modified_time = fields.Char("Zoho Modified_Time", readonly=True)
    odoo_write_date = fields.Char("Odoo write_date", readonly=True)

    def _compute_odoo_record(self):
        # Filled from the sidecar's row in _sidecar_computed; the ORM never computes it.
        for binding in self:
            binding.odoo_record = False

    def _sidecar_names(self, names):
        names = list(names)
        if "odoo_record" in names:
            names += ["odoo_model", "odoo_id"]
        return super()._sidecar_names(names)

    def _sidecar_computed(self, name, row):
        if name == "odoo_record" and row.get("odoo_model") in self.env and row.get("odoo_id"):
            return "%s,%s" % (row["odoo_model"], row["odoo_id"])
        return super()._sidecar_computed(name, row)

    def action_open_odoo_record(self):
        self.ensure_one()
        row = self.read(["odoo_model", "odoo_id"])[0]
        return {
            "type": "ir.actions.act_window",
            "res_model": row["odoo_model"],
            "res_id": row["odoo_id"],
            "view_mode": "form",
        }
