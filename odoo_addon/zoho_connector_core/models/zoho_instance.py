from odoo import _, fields, models

DATA_CENTERS = [
    ("us", "United States"),
    ("eu", "Europe"),
    ("in", "India"),
    ("au", "Australia"),
    ("jp", "Japan"),
    ("ca", "Canada"),
    ("sa", "Saudi Arabia"),
    ("cn", "China"),
    ("uk", "United Kingdom"),
]
STATES = [
    ("draft", "Draft"),
    ("connected", "Connected"),
    ("needs_reauth", "Needs re-authorization"),
    ("error", "Error"),
    ("disabled", "Disabled"),
]
EDITIONS = [
    ("free", "Free"),
    ("standard", "Standard"),
    ("professional", "Professional"),
    ("enterprise", "Enterprise"),
    ("ultimate", "Ultimate"),
]

MANAGER = "zoho_connector_core.group_zoho_manager"


class ZohoInstance(models.Model):
    """A Zoho account connected through OAuth2, kept by the sidecar."""

    _name = "zoho.instance"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Instance"
    _auto = False
    _order = "name, id"
    _sidecar_lists = ("apps", "watch_modules")
    _sidecar_json = ("sync_progress",)
    _sidecar_secrets = ("client_secret", "odoo_api_key")

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    data_center = fields.Selection(DATA_CENTERS, string="Data Centre", required=True, default="us")
    edition = fields.Selection(EDITIONS, string="CRM Edition", default="enterprise")
    client_id = fields.Char("Client ID", groups=MANAGER)
    client_secret = fields.Char(
        groups=MANAGER, help="Write-only: stored encrypted by the sidecar, never shown again."
    )
    client_secret_set = fields.Boolean(readonly=True)
    scopes = fields.Char(
        help="Comma-separated Zoho scopes, e.g. ZohoCRM.modules.ALL,ZohoBooks.fullaccess.all"
    )
    redirect_uri = fields.Char(
        "Redirect URI", help="The sidecar's /zoho/oauth/callback as registered in Zoho's API console."
    )
    return_url = fields.Char("Return URL", help="Where the browser lands after consent: this form.")
    apps = fields.Char("Enabled Apps", default="crm", help="Comma-separated: crm, books, people, desk.")
    books_organization_id = fields.Char("Books Organization ID")
    desk_org_id = fields.Char("Desk orgId")
    state = fields.Selection(STATES, readonly=True, default="draft")
    accounts_server = fields.Char(readonly=True)
    api_domain = fields.Char("API Domain", readonly=True)
    granted_scopes = fields.Char(readonly=True)
    token_expiry = fields.Datetime("Access Token Expiry", readonly=True)
    last_refresh = fields.Datetime("Last Token Refresh", readonly=True)
    has_refresh_token = fields.Boolean(readonly=True)
    last_error = fields.Text(readonly=True)
    webhook_secret_set = fields.Boolean(readonly=True)
    webhook_accept_secret = fields.Boolean("Accept Shared Secret", default=True)
    webhook_accept_token = fields.Boolean("Accept Channel Token", default=True)
    webhook_accept_signature = fields.Boolean("Accept Signature", default=True)
    watch_modules = fields.Char("Watched CRM Modules", default="Accounts, Contacts")
    channel_expiry = fields.Datetime("Next Channel Expiry", readonly=True)
    odoo_url = fields.Char(
        "Odoo URL", groups=MANAGER, help="Odoo the sidecar writes to (empty: the sidecar-wide setting)."
    )
    odoo_db = fields.Char("Odoo Database", groups=MANAGER)
    odoo_user = fields.Char(groups=MANAGER)
    odoo_api_key = fields.Char(
        "Odoo API Key", groups=MANAGER, help="Write-only: stored encrypted by the sidecar."
    )
    sync_progress = fields.Text("Initial Sync Progress", readonly=True)
    mapping_count = fields.Integer("Mappings", compute="_compute_mapping_count")
    rejection_count = fields.Integer(
        "Rejected Records",
        readonly=True,
        help="Records Zoho or Odoo refused that have not gone through since.",
    )

    def _compute_mapping_count(self):
        for instance in self:
            instance.mapping_count = self._sidecar_computed("mapping_count", {"id": instance.id})

    def _sidecar_computed(self, name, row):
        if name == "mapping_count" and isinstance(row.get("id"), int):
            mappings = self.env["zoho.mapping"].with_context(active_test=False)
            return mappings.search_count([("instance_id", "=", row["id"])])
        return super()._sidecar_computed(name, row)

    def action_authorize(self):
        """Zoho's consent page; Zoho sends the browser back to the sidecar, which sends it back here."""
        self.ensure_one()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.write({"return_url": "%s/web#id=%d&model=zoho.instance&view_type=form" % (base, self.id)})
        return self._sidecar_action("action_authorize")

    def action_test_connection(self):
        self.ensure_one()
        result = self._sidecar_action("action_test_connection")
        apps = result.get("apps", {})
        lines = []
        for app, outcome in sorted(apps.items()):
            if outcome.get("ok"):
                lines.append(_("%(app)s: reachable in %(ms)s ms", app=app, ms=outcome.get("latency_ms")))
            else:
                lines.append(_("%(app)s: %(message)s", app=app, message=outcome.get("message")))
        ok = apps and all(o.get("ok") for o in apps.values())
        return self._notify(
            _("Connection test"),
            "\n".join(lines) or _("No app enabled."),
            "success" if ok else "warning",
            sticky=not ok,
        )

    def action_refresh_token(self):
        self.ensure_one()
        result = self._sidecar_action("action_refresh_token")
        return self._notify(
            _("Token refreshed"),
            _("The access token is valid until %s (UTC).", result.get("token_expiry")),
            reload=True,
        )

    def action_health_check(self):
        self.ensure_one()
        result = self._sidecar_action("action_health_check")
        items = result.get("items", [])
        worst = result.get("status", "ok")
        lines = [
            "%s %s: %s"
            % (
                {"ok": "✓", "warning": "!", "error": "✗"}.get(i.get("status"), "?"),
                i.get("name"),
                i.get("message"),
            )
            for i in items
        ]
        kind = {"ok": "success", "warning": "warning"}.get(worst, "danger")
        return self._notify(_("Health check: %s", worst), "\n".join(lines), kind, sticky=worst != "ok")

    def action_revoke(self):
        self._sidecar_action("action_revoke")
        return self._notify(
            _("Revoked"),
            _("The refresh token is revoked; authorize again to reconnect."),
            "warning",
            reload=True,
        )

    def action_disable(self):
        self._sidecar_action("action_disable")
        return self._notify(
            _("Disabled"),
            _("The instance is disabled: its jobs wait and its channels are unsubscribed."),
            "warning",
            reload=True,
        )

    def action_enable(self):
        self._sidecar_action("action_enable")
        return self._notify(_("Enabled"), _("The instance is enabled again."), reload=True)

    def action_sync_now(self):
        jobs = self._sidecar_action("action_sync_now")
        return self._notify(_("Sync started"), _("%s reconciliation job(s) queued.", len(jobs)), reload=True)

    def action_initial_sync(self):
        jobs = self._sidecar_action("action_initial_sync")
        return self._notify(
            _("Initial sync started"),
            _("%s job(s) queued: progress shows on this form.", len(jobs)),
            reload=True,
        )

    def action_restore_mappings(self):
        """Gives every shipped mapping its shipped definition back, and adds back any deleted."""
        self._sidecar_check("write")
        restored = self._sidecar_action("action_restore_mappings")
        self.env["zoho.forwarding"]._zoho_refresh_quietly()
        return self._notify(
            _("Shipped mappings restored"),
            _("%s: shipped definition restored.", ", ".join(restored))
            if restored
            else _("No shipped mapping."),
            reload=True,
        )

    def action_view_mappings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("zoho_connector_core.action_zoho_mapping")
        action["domain"] = [("instance_id", "=", self.id)]
        action["context"] = {"default_instance_id": self.id, "active_test": False}
        return action

    def action_view_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("zoho_connector_core.action_zoho_job")
        action["domain"] = [("instance_id", "=", self.id)]
        return action

    def action_view_rejections(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "zoho_connector_core.action_zoho_sync_rejection"
        )
        action["domain"] = [("instance_id", "=", self.id)]
        return action
