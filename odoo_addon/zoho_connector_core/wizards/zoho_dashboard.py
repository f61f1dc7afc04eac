from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models

from ..models.sidecar import call
from .zoho_dashboard_links import attributes, instance_leaf, link

STATE_ORDER = ["pending", "running", "waiting", "done", "failed", "cancelled"]
STATE_COLORS = {
    "pending": "#6c757d",
    "running": "#0d6efd",
    "waiting": "#fd7e14",
    "done": "#198754",
    "failed": "#dc3545",
    "cancelled": "#adb5bd",
}


class ZohoDashboard(models.TransientModel):
    """The connector at a glance, read from the sidecar each time it is opened or refreshed.

    Every number is a link to the list it counts (zoho_dashboard_links), and every count covers the
    same scope: all instances of the user's companies, archived ones included, and the jobs without
    an instance, so the table's columns add up to the totals above them.
    """

    _name = "zoho.dashboard"
    _description = "Zoho Connector Dashboard"

    summary = fields.Html(compute="_compute_panels", sanitize=False)
    jobs_chart = fields.Html("Jobs over time", compute="_compute_panels", sanitize=False)
    failures_24h = fields.Integer("Failed since yesterday", compute="_compute_panels")

    def _compute_display_name(self):
        for record in self:
            record.display_name = _("Zoho Dashboard")

    @api.model
    def action_open(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Zoho Dashboard"),
            "res_model": self._name,
            "res_id": self.create({}).id,
            "view_mode": "form",
            "target": "current",
        }

    def action_refresh(self):
        return self.action_open()

    def _compute_panels(self):
        env = self.env
        # The figures come from the sidecar's own tallies: cheap however many jobs it holds.
        stats = call(env, "zoho.job", "get_dashboard_stats")
        start = (fields.Datetime.now() - timedelta(days=13)).strftime("%Y-%m-%d 00:00:00")
        days = call(
            env,
            "zoho.job",
            "read_group",
            [["create_date", ">=", start]],
            ["__count"],
            ["create_date:day", "state"],
            lazy=False,
        )
        for record in self:
            record.failures_24h = stats["failed_last_day"]
            record.summary = self._summary_html(stats)
            record.jobs_chart = self._chart_svg(days)

    def _when(self, value):
        """A datetime from the sidecar (UTC, or False) in the user's time zone, to the minute."""
        if not value:
            return ""
        local = fields.Datetime.context_timestamp(self, fields.Datetime.to_datetime(value))
        return local.strftime("%Y-%m-%d %H:%M")

    def _summary_html(self, stats):
        since = stats["since"]
        failed_since = [("state", "=", "failed"), ("date_failed", ">=", since)]
        recent = stats["failed_last_day"]
        banner = Markup("<div class='alert alert-%s mb-2 o_zoho_dashboard_banner'>%s</div>") % (
            "danger" if recent else "success",
            Markup(
                escape(
                    _(
                        "%(recent)s job(s) failed since %(since)s and are still failed; "
                        "%(all)s failed job(s) in all."
                    )
                )
            )
            % {
                "recent": link(
                    recent,
                    _("Jobs failed since %s", self._when(since)),
                    "zoho.job",
                    failed_since,
                    "o_zoho_failed_recent",
                ),
                "since": self._when(since),
                "all": link(
                    stats["jobs"]["failed"],
                    _("Failed jobs"),
                    "zoho.job",
                    [("state", "=", "failed")],
                    "o_zoho_failed_all",
                ),
            },
        )
        scope = Markup("<p class='text-muted small o_zoho_dashboard_scope'>%s</p>") % _(
            "Every count covers all instances of your companies, archived ones included, and the jobs "
            "without an instance; the table's columns add up to its last row (archived instances "
            "with no job are not listed). Click a number to open its list."
        )
        hooks = stats["webhooks"]["last_day"]
        accepted_domain = [("verdict", "=", "accepted"), ("received_at", ">=", since)]
        figures = Markup("<p class='o_zoho_dashboard_figures'>%s</p>") % (
            Markup(escape(_("Queue lag: %(lag)s s. Webhooks accepted since %(since)s: %(hooks)s.")))
            % {
                "lag": stats["queue_lag_seconds"],
                "since": self._when(since),
                "hooks": link(
                    hooks.get("accepted", 0), _("Webhooks accepted"), "zoho.webhook.event", accepted_domain
                ),
            }
        )
        return banner + scope + figures + self._table_html(stats)

    def _token(self, expiry):
        if not expiry:
            return _("no token")
        left = (fields.Datetime.to_datetime(expiry) - fields.Datetime.now()).total_seconds()
        return _("valid for %s min", int(left // 60)) if left > 0 else _("expired")

    def _channels(self, entry):
        if not entry["channels"]:
            return _("none")
        return _("%(n)s, next expiry %(when)s", n=entry["channels"], when=self._when(entry["channel_expiry"]))

    def _row_html(self, entry, since):
        leaf = instance_leaf(entry["instance_id"])
        name = entry["name"] if entry["instance_id"] else _("(no instance)")
        state = entry["state"] or ""
        badge = (
            "success"
            if state == "connected"
            else "danger"
            if state in ("error", "needs_reauth")
            else "secondary"
        )
        badges = Markup("<span class='badge text-bg-%s'>%s</span>") % (badge, state) if state else Markup("")
        if not entry["active"]:
            badges += Markup(" <span class='badge text-bg-light o_zoho_archived'>%s</span>") % _("archived")
        hooks = sum(entry["webhooks_last_day"].values())
        hook_cell = link(
            hooks,
            _("Webhooks of %s", name),
            "zoho.webhook.event",
            [leaf, ("received_at", ">=", since)],
        )
        if entry["last_webhook"]:
            hook_cell += Markup(" <span class='text-muted'>%s</span>") % _(
                "last %s", self._when(entry["last_webhook"])
            )
        # _() reads the language from its caller's frame: loops, not generator expressions, call it.
        kinds = []
        for kind, n in sorted(entry["failed_kinds"].items()):
            title = _("Failed %(kind)s jobs of %(name)s", kind=kind, name=name)
            failed = [leaf, ("state", "=", "failed"), ("kind", "=", kind)]
            kinds.append(Markup("%s: %s") % (kind, link(n, title, "zoho.job", failed)))
        kinds = Markup(", ").join(kinds)
        recent = link(
            entry["failed_last_day"],
            _("Jobs of %s failed since yesterday", name),
            "zoho.job",
            [leaf, ("state", "=", "failed"), ("date_failed", ">=", since)],
        )
        cells = self._state_cells(entry["jobs"], [leaf], _("jobs of %s", name))
        token = self._token(entry["token_expiry"]) if entry["instance_id"] else ""
        channels = self._channels(entry) if entry["instance_id"] else ""
        return Markup(
            "<tr class='o_zoho_dashboard_row'><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td class='text-end'>%s</td><td>%s</td>%s</tr>"
        ) % (name, badges, token, channels, hook_cell, recent, kinds, cells)

    def _state_cells(self, jobs, domain, what):
        """One cell per state: the count of jobs in it, linked to their list."""
        cells = Markup("")
        for state in STATE_ORDER:
            title = "%s %s" % (state.capitalize(), what)
            cells += Markup("<td class='text-end'>%s</td>") % link(
                jobs[state], title, "zoho.job", domain + [("state", "=", state)]
            )
        return cells

    @staticmethod
    def _counts_something(entry):
        return any(entry["jobs"].values()) or any(entry["webhooks_last_day"].values())

    def _table_html(self, stats):
        since = stats["since"]
        # Active instances by name, then archived ones, then the jobs without an instance. An
        # archived instance with nothing to count is left out: its row would be zeros only.
        entries = sorted(
            (e for e in stats["instances"] if e["active"] or self._counts_something(e)),
            key=lambda e: (not e["instance_id"], not e["active"], (e["name"] or "").lower()),
        )
        head = Markup("<th class='text-end'>%s</th>") % _("Failed since yesterday")
        head += Markup("<th>%s</th>") % _("Failed by kind")
        for state in STATE_ORDER:
            head += Markup("<th class='text-end'>%s</th>") % state.capitalize()
        total_cells = self._state_cells(stats["jobs"], [], _("jobs"))
        total = Markup(
            "<tr class='fw-bold o_zoho_dashboard_total'><td colspan='5'>%s</td>"
            "<td class='text-end'>%s</td><td></td>%s</tr>"
        ) % (
            _("All instances, archived ones included"),
            link(
                stats["failed_last_day"],
                _("Jobs failed since yesterday"),
                "zoho.job",
                [("state", "=", "failed"), ("date_failed", ">=", since)],
            ),
            total_cells,
        )
        rows = Markup("").join(self._row_html(e, since) for e in entries)
        if not entries:
            rows = Markup("<tr><td colspan='13'>%s</td></tr>") % _("No instance yet.")
        return Markup(
            "<table class='table table-sm o_zoho_dashboard_table'><thead><tr>"
            "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>%s</tr></thead>"
            "<tbody>%s</tbody><tfoot>%s</tfoot></table>"
        ) % (
            _("Instance"),
            _("State"),
            _("Access token"),
            _("Notification channels"),
            _("Webhooks since yesterday"),
            head,
            rows,
            total,
        )

    def _chart_svg(self, groups):
        """Stacked bars per day and state, as inline SVG (no JavaScript needed to draw it); each bar
        and each of its parts opens the jobs it counts."""
        by_day = {}
        order = []
        for g in groups:
            day = g["create_date:day"]
            bounds = g["__range"]["create_date:day"]
            if day not in by_day:
                by_day[day] = {}
                order.append((bounds["from"], bounds["to"], day))
            by_day[day][g["state"]] = by_day[day].get(g["state"], 0) + g["__count"]
        order.sort()
        if not order:
            return Markup("<p class='text-muted'>%s</p>") % _("No job in the last 14 days.")
        width, height, bar = 700, 220, 34
        peak = max(sum(v.values()) for v in by_day.values()) or 1
        parts = [
            Markup(
                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' class='o_zoho_jobs_chart'>"
            )
            % (width, height + 40)
        ]
        for i, (start, end, day) in enumerate(order):
            created = [("create_date", ">=", start), ("create_date", "<", end)]
            x, y = 40 + i * (bar + 12), height
            for state in STATE_ORDER:
                n = by_day[day].get(state, 0)
                if not n:
                    continue
                h = max(int(n * (height - 20) / peak), 1)
                y -= h
                parts.append(
                    Markup(
                        "<a href='#'%s><rect x='%d' y='%d' width='%d' height='%d' fill='%s'>"
                        "<title>%s %s: %d</title></rect></a>"
                    )
                    % (
                        attributes(
                            _("%(state)s jobs created on %(day)s", state=state, day=day),
                            "zoho.job",
                            created + [("state", "=", state)],
                            n,
                        ),
                        x,
                        y,
                        bar,
                        h,
                        STATE_COLORS[state],
                        day,
                        state,
                        n,
                    )
                )
            parts.append(
                Markup("<text x='%d' y='%d' font-size='10' text-anchor='middle'>%s</text>")
                % (x + bar // 2, height + 14, day[:6])
            )
            total = sum(by_day[day].values())
            parts.append(
                Markup("<a href='#'%s><text x='%d' y='%d' font-size='10' text-anchor='middle'>%d</text></a>")
                % (
                    attributes(_("Jobs created on %s", day), "zoho.job", created, total),
                    x + bar // 2,
                    y - 4,
                    total,
                )
            )
        for j, state in enumerate(STATE_ORDER):
            parts.append(
                Markup(
                    "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
                    "<text x='%d' y='%d' font-size='11'>%s</text>"
                )
                % (40 + j * 100, height + 26, STATE_COLORS[state], 54 + j * 100, height + 35, state)
            )
        parts.append(Markup("</svg>"))
        return Markup("").join(parts)
