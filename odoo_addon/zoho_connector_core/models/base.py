"""The "Not in Zoho" and "Sync failed" filters of every synced model, with no code per model.

A search view's filter must name a field of its model, and which models are synced is data (the
sidecar's mappings): so the field is on every model (``base``), computed and searched from the
sidecar, and means something only on the models the mappings name. The views that show it are
added per synced model at run time (``zoho.record.status``'s views).
"""

import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from .sidecar import call

_logger = logging.getLogger(__name__)

STATES = [
    ("synced", "In Zoho"),
    ("pending", "Sync pending"),
    ("failed", "Sync failed"),
    ("not_in_zoho", "Not in Zoho"),
]


class Base(models.AbstractModel):
    _inherit = "base"

    zoho_sync_state = fields.Selection(
        STATES,
        string="Zoho Sync",
        compute="_compute_zoho_sync_state",
        search="_search_zoho_sync_state",
        groups="zoho_connector_core.group_zoho_user",
    )

    def _compute_zoho_sync_state(self):
        # One call for the whole batch (a list's page), only on models a mapping syncs.
        synced = self._name in self.env["zoho.forwarding"]._zoho_kept()
        ids = [i for i in self.ids if isinstance(i, int)] if synced else []
        states = {}
        if ids and self.env.user.has_group("zoho_connector_core.group_zoho_user"):
            answer = self.env["zoho.record.status"].get_status(self._name, ids)
            states = {int(k): v.get("state") for k, v in answer.get("records", {}).items()}
        for record in self:
            record.zoho_sync_state = states.get(record.id, False)

    def _search_zoho_sync_state(self, operator, value):
        """'Not in Zoho' and 'Sync failed': the records the sidecar has no link for, or whose latest
        sync failed. Other states are a record's own, shown on its form."""
        values = {value} if isinstance(value, str) else set(value or ())
        if operator not in ("=", "in") or len(values) != 1 or not values <= {"not_in_zoho", "failed"}:
            raise UserError(_("Records can be filtered on 'Not in Zoho' or 'Sync failed' only."))
        if "failed" in values:
            failed = call(self.env, "zoho.binding", "failed_records", self._name)
            return [("id", "in", failed)]
        rows = call(self.env, "zoho.binding", "search_read", [["odoo_model", "=", self._name]], ["odoo_id"])
        return [("id", "not in", sorted({row["odoo_id"] for row in rows}))]
