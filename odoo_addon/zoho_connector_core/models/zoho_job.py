from odoo import _, api, fields, models

from .sidecar import call

STATES = [
    ("pending", "Pending"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("waiting", "Waiting for re-authorization"),
]


class ZohoJob(models.Model):
    """A unit of sync work in the sidecar's durable queue."""

    _name = "zoho.job"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Job"
    _auto = False
    _order = "id desc"
    _sidecar_json = ("payload", "error_chain", "last_exchange", "result")

    instance_id = fields.Many2one("zoho.instance", readonly=True)
    kind = fields.Char(readonly=True)
    payload = fields.Text(readonly=True)
    priority = fields.Integer(default=10, help="Lower runs first.")
    eta = fields.Datetime("Run After")
    state = fields.Selection(STATES, readonly=True, default="pending")
    attempts = fields.Integer(readonly=True)
    max_attempts = fields.Integer(default=5)
    identity_key = fields.Char(readonly=True)
    last_error = fields.Text(readonly=True)
    error_summary = fields.Char(
        "Error", readonly=True, help="The last error cut short for lists; the form shows all of it."
    )
    error_chain = fields.Text("Error Causes", readonly=True)
    last_exchange = fields.Text(
        "Last Zoho Exchange",
        readonly=True,
        help="The request and response of the last Zoho call, masked and capped.",
    )
    result = fields.Text(readonly=True)
    worker = fields.Char(readonly=True)
    lease_until = fields.Datetime(readonly=True)
    date_started = fields.Datetime("Started", readonly=True)
    date_done = fields.Datetime("Done", readonly=True)
    date_failed = fields.Datetime("Failed", readonly=True)
    date_cancelled = fields.Datetime("Cancelled", readonly=True)

    def action_retry(self):
        self._sidecar_action("action_retry")
        return self._notify(_("Retry"), _("%s job(s) queued again.", len(self)), reload=True)

    def action_cancel(self):
        self._sidecar_action("action_cancel")
        return self._notify(_("Cancelled"), _("%s job(s) cancelled.", len(self)), "warning", reload=True)

    def action_requeue(self):
        self._sidecar_action("action_requeue")
        return self._notify(
            _("Requeued"), _("%s job(s) requeued with fresh attempts.", len(self)), reload=True
        )

    @api.model
    def action_requeue_failed(self):
        self._sidecar_check("write")
        count = call(self.env, self._name, "requeue_failed", False)
        return self._notify(_("Failed jobs requeued"), _("%s failed job(s) requeued.", count), reload=True)
