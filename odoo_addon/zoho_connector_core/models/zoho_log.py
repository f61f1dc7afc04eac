from odoo import fields, models

LEVELS = [("debug", "Debug"), ("info", "Info"), ("warning", "Warning"), ("error", "Error")]


class ZohoLog(models.Model):
    """The sidecar's error centre: what went wrong, where, and why (secrets masked)."""

    _name = "zoho.log"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Log"
    _auto = False
    _order = "id desc"

    instance_id = fields.Many2one("zoho.instance", readonly=True)
    job_id = fields.Many2one("zoho.job", readonly=True)
    level = fields.Selection(LEVELS, readonly=True)
    source = fields.Char(readonly=True)
    message = fields.Text(readonly=True)
    message_summary = fields.Char(
        "Summary", readonly=True, help="The message cut short for lists; the form shows all of it."
    )
    cause = fields.Text("Cause Chain", readonly=True)
    stack = fields.Text(readonly=True)
