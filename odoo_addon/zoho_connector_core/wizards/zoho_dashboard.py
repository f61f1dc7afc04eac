from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models

from ..models.sidecar import call

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
    """The connector at a glance, read from the sidecar each time it is opened or refreshed."""

    _name = "zoho.dashboard"
    _description = "Zoho Connector Dashboard"

    summary = fields.Html(compute="_compute_panels", sanitize=False)
    jobs_chart = fields.Html("Jobs over time", compute="_compute_panels", sanitize=False)
    failures_24h = fields.Integer("Failures (24 h)", compute="_compute_panels")

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
        instances = call(
            env,
            "zoho.instance",
            "search_read",
            [],
            ["name", "state", "token_expiry", "last_error"],
            order="name",
        )
        # The counts come from the sidecar's own tallies: cheap however many jobs it holds.
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
            record.failures_24h = stats["last_day"]["failed"]
            record.summary = self._summary_html(instances, stats)
            record.jobs_chart = self._chart_svg(days)

    def _summary_html(self, instances, stats):
        counts = {i["instance_id"]: i["jobs"] for i in stats["instances"]}
        failures = stats["last_day"]["failed"]
        now = fields.Datetime.now()
        head = "".join("<th class='text-end'>%s</th>" % escape(s.capitalize()) for s in STATE_ORDER)
        rows = []
        for inst in instances:
            expiry = inst.get("token_expiry")
            if expiry:
                left = fields.Datetime.to_datetime(expiry) - now
                token = (
                    _("valid for %s min", max(int(left.total_seconds() // 60), 0))
                    if left.total_seconds() > 0
                    else _("expired")
                )
            else:
                token = _("no token")
            cells = "".join(
                "<td class='text-end'>%s</td>" % counts.get(inst["id"], {}).get(s, 0) for s in STATE_ORDER
            )
            badge = (
                "success"
                if inst["state"] == "connected"
                else "danger"
                if inst["state"] in ("error", "needs_reauth")
                else "secondary"
            )
            rows.append(
                "<tr><td>%s</td><td><span class='badge text-bg-%s'>%s</span></td><td>%s</td>%s</tr>"
                % (escape(inst["name"]), badge, escape(inst["state"]), escape(token), cells)
            )
        table = (
            "<table class='table table-sm o_zoho_dashboard_table'>"
            "<thead><tr><th>%s</th><th>%s</th><th>%s</th>%s</tr></thead>"
            "<tbody>%s</tbody></table>"
        ) % (
            escape(_("Instance")),
            escape(_("State")),
            escape(_("Access token")),
            head,
            "".join(rows) or "<tr><td colspan='9'>%s</td></tr>" % escape(_("No instance yet.")),
        )
        alert = "danger" if failures else "success"
        banner = "<div class='alert alert-%s mb-2'>%s</div>" % (
            alert,
            escape(_("%s job(s) failed in the last 24 hours.", failures)),
        )
        hour = stats["last_hour"]
        figures = "<p class='o_zoho_dashboard_figures'>%s</p>" % escape(
            _(
                "Last hour: %(done)s done, %(retried)s retried, %(failed)s failed. "
                "Queue lag: %(lag)s s. Webhooks in 24 h: %(hooks)s accepted.",
                done=hour["done"],
                retried=hour["retried"],
                failed=hour["failed"],
                lag=stats["queue_lag_seconds"],
                hooks=stats["webhooks"]["last_day"].get("accepted", 0),
            )
        )
        return Markup(banner + figures + table)

    def _chart_svg(self, groups):
        """Stacked bars per day and state, as inline SVG (no JavaScript needed)."""
        by_day = {}
        order = []
        for g in groups:
            day = g["create_date:day"]
            if day not in by_day:
                by_day[day] = {}
                order.append((g["__range"]["create_date:day"]["from"], day))
            by_day[day][g["state"]] = by_day[day].get(g["state"], 0) + g["__count"]
        order.sort()
        if not order:
            return Markup("<p class='text-muted'>%s</p>" % escape(_("No job in the last 14 days.")))
        width, height, bar = 700, 220, 34
        peak = max(sum(v.values()) for v in by_day.values()) or 1
        parts = [
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' class='o_zoho_jobs_chart'>"
            % (width, height + 40)
        ]
        for i, (_start, day) in enumerate(order):
            x, y = 40 + i * (bar + 12), height
            for state in STATE_ORDER:
                n = by_day[day].get(state, 0)
                if not n:
                    continue
                h = max(int(n * (height - 20) / peak), 1)
                y -= h
                parts.append(
                    "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'><title>%s %s: %d</title></rect>"
                    % (x, y, bar, h, STATE_COLORS[state], escape(day), state, n)
                )
            parts.append(
                "<text x='%d' y='%d' font-size='10' text-anchor='middle'>%s</text>"
                % (x + bar // 2, height + 14, escape(day[:6]))
            )
            parts.append(
                "<text x='%d' y='%d' font-size='10' text-anchor='middle'>%d</text>"
                % (x + bar // 2, y - 4, sum(by_day[day].values()))
            )
        for j, state in enumerate(STATE_ORDER):
            parts.append(
                "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
                "<text x='%d' y='%d' font-size='11'>%s</text>"
                % (40 + j * 100, height + 26, STATE_COLORS[state], 54 + j * 100, height + 35, state)
            )
        parts.append("</svg>")
        return Markup("".join(parts))
