import logging

from odoo import api, models

from ..sidecar_client import SidecarError
from .sidecar import cached_client, settings

_logger = logging.getLogger(__name__)

PENDING = "zoho_connector_core.forward"
# Ids per call: the sidecar splits them into jobs of 100; this bounds one request's size.
CHUNK = 5000


class ZohoSyncMixin(models.AbstractModel):
    """Forwards creates, writes and deletes to the Zoho sidecar once the transaction commits.

    Inherit it to sync a model (``_inherit = ["res.partner", "zoho.sync.mixin"]``). Changes are
    gathered per transaction and sent in one call per model and operation after commit (never
    after a rollback); the sidecar's own writes carry ``zoho_skip_push`` and are not sent back.
    A sidecar that is down never blocks the user: the failure is logged once per transaction
    and the sidecar's reconciliation catches up from ``write_date``.
    """

    _name = "zoho.sync.mixin"
    _description = "Zoho sync: forward changes to the sidecar"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._zoho_forward("create", {name for vals in vals_list for name in vals})
        return records

    def write(self, vals):
        result = super().write(vals)
        self._zoho_forward("write", set(vals))
        return result

    def unlink(self):
        self._zoho_forward("unlink", set())
        return super().unlink()

    def _zoho_forward(self, operation, field_names):
        if not self or self.env.context.get("zoho_skip_push"):
            return
        postcommit = self.env.cr.postcommit
        pending = postcommit.data.get(PENDING)
        if pending is None:
            url, api_key = settings(self.env)
            if not url:
                return  # not configured: nothing to tell
            pending = postcommit.data[PENDING] = {}
            postcommit.add(lambda: _send(url, api_key, pending))
        entry = pending.setdefault((self._name, operation), {"ids": set(), "fields": set()})
        entry["ids"].update(i for i in self.ids if isinstance(i, int))
        entry["fields"].update(field_names)


def _send(url, api_key, pending):
    """After commit, outside any transaction: one call per model and operation."""
    client = cached_client(url, api_key, timeout=5)
    for (model, operation), entry in sorted(pending.items()):
        ids = sorted(entry["ids"])
        try:
            for start in range(0, len(ids), CHUNK):
                client.execute("zoho.job", "enqueue_push", model, ids[start:start + CHUNK], operation, sorted(entry["fields"]))
        except SidecarError as error:
            total = sum(len(e["ids"]) for e in pending.values())
            _logger.warning("Zoho sidecar: %s; %d change(s) of this transaction were not forwarded, "
                            "its reconciliation will pick them up.", error.message, total)
            return
