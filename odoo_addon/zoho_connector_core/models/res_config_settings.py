from odoo import _, fields, models
from odoo.exceptions import UserError

from ..sidecar_client import SidecarError
from .sidecar import KEY_PARAM, URL_PARAM, client, settings

MANAGER = "zoho_connector_core.group_zoho_manager"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    zoho_sidecar_url = fields.Char(
        "Sidecar URL", config_parameter=URL_PARAM, help="e.g. http://127.0.0.1:8169"
    )
    zoho_sidecar_api_key = fields.Char(
        "Sidecar API Key",
        config_parameter=KEY_PARAM,
        groups=MANAGER,
        help="Created with `zoho-sidecar apikey create --name odoo`.",
    )

    def action_zoho_test_sidecar(self):
        self.ensure_one()
        try:
            sidecar = client(self.env, self.zoho_sidecar_url, self.zoho_sidecar_api_key)
            version = sidecar.version()
            sidecar.authenticate()
        except SidecarError as error:
            raise UserError(error.message) from None
        message = _(
            "%(name)s %(version)s accepted the API key.",
            name=version.get("server_name", "zoho-sidecar"),
            version=version.get("server_version"),
        )
        kind = "success"
        if (self.zoho_sidecar_url, self.zoho_sidecar_api_key or "") == settings(self.env):
            # The sidecar Odoo uses (the settings as saved): which models its mappings have Odoo forward.
            try:
                forwarded = self.env["zoho.forwarding"]._zoho_refresh()
                message += "\n" + _("Writes forwarded for: %s.", ", ".join(forwarded) or _("no model"))
            except UserError as error:
                message += "\n" + _(
                    "Its mappings could not be read: %s", error.args[0] if error.args else error
                )
                kind = "warning"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Zoho sidecar reachable"), "type": kind, "message": message},
        }
