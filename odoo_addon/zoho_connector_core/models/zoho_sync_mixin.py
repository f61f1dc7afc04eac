import logging

from odoo import api, models

from ..sidecar_client import SidecarError
from .sidecar import cached_client, settings

_logger = logging.getLogger(__name__)

PENDING = "zoho_connector_core.forward"
# Ids per call: the sidecar splits them into jobs of 100; this bounds one request's size.
CHUNK = 5000
# Values sent along (so the sidecar can tell a later, unreported edit): plain ones, not too long.
MAX_VALUE = 1000
UNKNOWN = object()


def _plain(value):
    if value is None or isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, str) and len(value) <= MAX_VALUE


class ZohoSyncMixin(models.AbstractModel):
    """Forwards creates, writes and deletes to the Zoho sidecar once the transaction commits.

    ``res.partner`` inherits it (``_inherit = ["res.partner", "zoho.sync.mixin"]``); any other
    model an active mapping names is forwarded the same way without code, by ``zoho.forwarding``,
    and a model that inherits the mixin is left to it. Changes are gathered per transaction and
    sent in one call per model and operation after commit (never after a rollback); the
    sidecar's own writes carry ``zoho_skip_push`` and are not sent back. A sidecar that is down
    never blocks the user: the failure is logged once per transaction and the sidecar's
    reconciliation catches up from ``write_date``.
    """

    _name = "zoho.sync.mixin"
    _description = "Zoho sync: forward changes to the sidecar"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._zoho_forward("create", {})
        return records

    def write(self, vals):
        result = super().write(vals)
        self._zoho_forward("write", vals)
        return result

    def unlink(self):
        self._zoho_forward("unlink", {})
        return super().unlink()

    def _zoho_forward(self, operation, vals):
        forward(self, operation, vals)


def forward(records, operation, vals):
    """Notes `operation` on `records` (with the values written) for the sidecar, sent after commit.

    The one way changes reach the sidecar: this mixin calls it, and so do the methods
    ``zoho.forwarding`` patches on the models the sidecar's mappings name.
    """
    if not records or records.env.context.get("zoho_skip_push"):
        return
    postcommit = records.env.cr.postcommit
    pending = postcommit.data.get(PENDING)
    if pending is None:
        url, api_key = settings(records.env)
        if not url:
            return  # not configured: nothing to tell
        pending = postcommit.data[PENDING] = {}
        postcommit.add(lambda: _send(url, api_key, pending))
    entry = pending.setdefault((records._name, operation), {"ids": set(), "values": {}})
    entry["ids"].update(i for i in records.ids if isinstance(i, int))
    for name, value in vals.items():
        # A value is sent only when every write of the transaction gave the field that same value.
        known = entry["values"].get(name, value)
        entry["values"][name] = value if _plain(value) and known == value else UNKNOWN


def _send(url, api_key, pending):
    """After commit, outside any transaction: one call per model and operation."""
    client = cached_client(url, api_key, timeout=5)
    for (model, operation), entry in sorted(pending.items()):
        ids = sorted(entry["ids"])
        fields = sorted(entry["values"])
        values = {name: value for name, value in entry["values"].items() if value is not UNKNOWN}
        try:
            for start in range(0, len(ids), CHUNK):
                client.execute(
                    "zoho.job", "enqueue_push", model, ids[start : start + CHUNK], operation, fields, values
                )
        except SidecarError as error:
            total = sum(len(e["ids"]) for e in pending.values())
            _logger.warning(
                "Zoho sidecar: %s; %d change(s) of this transaction were not forwarded, "
                "its reconciliation will pick them up.",
                error.message,
                total,
            )
            return
