from odoo import fields, models

VERDICTS = [
    ("accepted", "Accepted"),
    ("duplicate", "Duplicate"),
    ("unauthorized", "Unauthorized"),
    ("rejected", "Rejected"),
    ("limited", "Rate limited"),
]


class ZohoWebhookEvent(models.Model):
    """The sidecar's audit log of webhook deliveries."""

    _name = "zoho.webhook.event"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Webhook Event"
    _auto = False
    _order = "id desc"

    instance_id = fields.Many2one("zoho.instance", readonly=True)
    app = fields.Char(readonly=True)
    object = fields.Char(readonly=True)
    received_at = fields.Datetime("Received", readonly=True)
    body_sha256 = fields.Char("Body SHA-256", readonly=True)
    dedup_key = fields.Char(readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    verdict = fields.Selection(VERDICTS, readonly=True)
    job_id = fields.Many2one("zoho.job", readonly=True)
    detail = fields.Text(readonly=True)
