"""Forwarding of the models the sidecar's mappings name, with no code per model.

As OCA's ``auditlog`` does for its rules, the ``create``, ``write`` and ``unlink`` of each model an
active mapping names are patched on its registry class when the registry loads, and unpatched when
no active mapping names it any more. What they send, and when, is ``zoho.sync.mixin``'s own
(:func:`~.zoho_sync_mixin.forward`): after commit, one call per model and operation, nothing for
the sidecar's own writes (``zoho_skip_push``).

The list of models comes from the sidecar. The last one known is kept in a system parameter, so
Odoo starts (and forwards) with it while the sidecar is down; it is asked again when a mapping is
saved through Odoo, every 10 minutes (a cron), and by *Test sidecar* in the settings.
"""

import json
import logging

from odoo import api, models
from odoo.exceptions import UserError

from ..sidecar_client import SidecarError
from .sidecar import client, settings
from .zoho_sync_mixin import forward

_logger = logging.getLogger(__name__)

MODELS_PARAM = "zoho_connector_core.forwarded_models"
# On the registry: the models whose methods are patched in this process.
PATCHED = "_zoho_forwarded_models"
METHODS = ("create", "write", "unlink")


def _is_forwarded(records):
    # A model that inherits a patched one (another _name) inherits the patch too, but not the mapping.
    return records._name in getattr(records.pool, PATCHED, ())


def _patched_create(origin):
    @api.model_create_multi
    def create(self, vals_list):
        records = origin(self, vals_list)
        if _is_forwarded(self):
            forward(records, "create", {})
        return records

    return create


def _patched_write(origin):
    def write(self, vals):
        result = origin(self, vals)
        if _is_forwarded(self):
            forward(self, "write", vals)
        return result

    return write


def _patched_unlink(origin):
    def unlink(self):
        if _is_forwarded(self):
            forward(self, "unlink", {})
        return origin(self)

    return unlink


PATCHES = {"create": _patched_create, "write": _patched_write, "unlink": _patched_unlink}


def _patch(cls):
    for name, make in PATCHES.items():
        origin = getattr(cls, name)
        method = make(origin)
        method.origin = origin  # as Odoo's own patches (base_automation) and auditlog's name it
        method.zoho_forwarding = True
        method.zoho_own = name in cls.__dict__  # whether the class had a method of its own
        setattr(cls, name, method)


def _unpatch(cls):
    for name in PATCHES:
        method = cls.__dict__.get(name)
        if not getattr(method, "zoho_forwarding", False):
            continue  # patched again over ours (e.g. by auditlog): ours stays, and sends nothing
        if method.zoho_own:
            setattr(cls, name, method.origin)
        else:
            delattr(cls, name)


class ZohoForwarding(models.AbstractModel):
    """Which models' writes go to the sidecar because an active mapping names them."""

    _name = "zoho.forwarding"
    _description = "Zoho sync: forwarding of the models the mappings name"

    def _register_hook(self):
        """When the registry loads: the models of the last known list (no call to the sidecar)."""
        super()._register_hook()
        self._zoho_apply(self._zoho_kept())

    def _unregister_hook(self):
        """Before the registry sets its models up again (and patches them again)."""
        self._zoho_apply([])
        return super()._unregister_hook()

    @api.model
    def _zoho_kept(self):
        """The models active mappings named when the sidecar was last asked."""
        try:
            names = json.loads(self.env["ir.config_parameter"].sudo().get_param(MODELS_PARAM) or "[]")
        except ValueError:
            return []
        return [name for name in names if isinstance(name, str)]

    @api.model
    def _zoho_forwardable(self, name):
        """A model with a table of its own, not one of the sidecar's, and not already forwarded by
        inheriting zoho.sync.mixin (res.partner: forwarded once, by the mixin)."""
        registry = self.env.registry
        if name not in registry:
            return False
        cls = registry[name]
        return not (
            cls._abstract
            or cls._transient
            or not cls._auto
            or issubclass(cls, registry["zoho.sync.mixin"])
            or issubclass(cls, registry["zoho.sidecar.model"])
        )

    @api.model
    def _zoho_apply(self, names):
        """Patches the forwardable models among `names` and unpatches the others; True when the set
        of patched models changed."""
        registry = self.env.registry
        wanted = {name for name in names if self._zoho_forwardable(name)}
        current = set(getattr(registry, PATCHED, ()))
        for name in sorted(wanted - current):
            _patch(registry[name])
        for name in sorted(current - wanted):
            if name in registry:
                _unpatch(registry[name])
        setattr(registry, PATCHED, frozenset(wanted))
        if wanted != current:
            _logger.info(
                "Zoho: forwarding the writes of %s", ", ".join(sorted(wanted)) or "no model by mapping"
            )
        return wanted != current

    @api.model
    def _zoho_refresh(self):
        """Asks the sidecar which models the active mappings of its syncing instances name, keeps
        the answer and forwards them from now on. Returns the list; raises UserError when the
        sidecar cannot say."""
        # No company in the context: the mappings of every company (a write is forwarded from any),
        # of the instances that sync (the sidecar takes no change for an archived or disabled one).
        try:
            sidecar = client(self.env)
            instances = sidecar.execute("zoho.instance", "search", [["state", "!=", "disabled"]])
            domain = [["active", "=", True], ["instance_id", "in", instances]]
            rows = sidecar.execute("zoho.mapping", "search_read", domain, ["odoo_model"])
        except SidecarError as error:
            raise UserError(error.message) from None
        names = sorted({row["odoo_model"] for row in rows if row.get("odoo_model")})
        if names != self._zoho_kept():
            self.env["ir.config_parameter"].sudo().set_param(MODELS_PARAM, json.dumps(names))
        if self._zoho_apply(names) and self.env.registry.ready:
            # Other workers load the registry again, and patch from the list kept above.
            self.env.registry.registry_invalidated = True
        # The Zoho status line and filters on the views of exactly these models.
        self.env["zoho.record.status"]._zoho_views(names)
        return names

    @api.model
    def _zoho_refresh_quietly(self):
        """_zoho_refresh for saves and the cron: a sidecar that cannot answer leaves the last list."""
        try:
            return self._zoho_refresh()
        except UserError as error:
            _logger.warning(
                "Zoho sidecar: the models to forward could not be read (%s); keeping %s",
                error,
                ", ".join(self._zoho_kept()) or "none",
            )
            return None

    @api.model
    def _cron_refresh(self):
        if settings(self.env)[0]:  # not configured yet: nothing to ask, nothing to warn about
            self._zoho_refresh_quietly()
