from markupsafe import Markup, escape

from odoo import _, api, fields, models

from ..models.sidecar import call
from .zoho_dashboard_links import attributes, instance_leaf, link

STATE_ORDER = ["pending", "running", "waiting", "done", "failed", "cancelled"]
# The charts' bars: jobs done and failed, stacked; beside them, the webhooks by verdict.
HISTORY_COLORS = {"done": "#198754", "failed": "#dc3545"}
VERDICT_COLORS = {"accepted": "#0d6efd", "duplicate": "#9ec5fe"}
OTHER_VERDICT_COLOR = "#fd7e14"


class ZohoDashboard(models.TransientModel):
    """The connector at a glance, read from the sidecar each time it is opened or refreshed.

    Every number is a link to the list it counts (zoho_dashboard_links), and every count covers the
    same scope: all instances of the user's companies, archived ones included, and the jobs without
    an instance, so the table's columns add up to the totals above them.
    """

    _name = "zoho.dashboard"
    _description = "Zoho Connector Dashboard"

    summary = fields.Html(compute="_compute_panels", sanitize=False)
    hours_chart = fields.Html("The last day, per hour", compute="_compute_panels", sanitize=False)
    jobs_chart = fields.Html("The last 14 days, per day", compute="_compute_panels", sanitize=False)
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
        # One call: the figures come from the sidecar's own tallies, cheap however many jobs it holds.
        stats = call(env, "zoho.job", "get_dashboard_stats")
        for record in self:
            record.failures_24h = stats["failed_last_day"]
            record.summary = self._summary_html(stats)
            record.hours_chart = self._history_svg(stats["history"]["hours"], "%H:00")
            record.jobs_chart = self._history_svg(stats["history"]["days"], "%m-%d", utc=True)

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
            "with no job are not listed), and the hours of the first chart add up to the figures "
            "since yesterday. Click a number or a bar to open its list."
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
        for kind, n in sorted(entry["failed_kinds_last_day"].items()):
            title = _("%(kind)s jobs of %(name)s failed since yesterday", kind=kind, name=name)
            failed = [leaf, ("state", "=", "failed"), ("kind", "=", kind), ("date_failed", ">=", since)]
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
        lag = _("%s s", entry["queue_lag_seconds"])
        return Markup(
            "<tr class='o_zoho_dashboard_row'><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td class='text-end o_zoho_queue_lag'>%s</td><td class='text-end'>%s</td><td>%s</td>%s</tr>"
        ) % (name, badges, token, channels, hook_cell, lag, recent, kinds, cells)

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
        head = Markup("<th class='text-end'>%s</th>") % _("Queue lag")
        head += Markup("<th class='text-end'>%s</th>") % _("Failed since yesterday")
        head += Markup("<th>%s</th>") % _("By kind")
        for state in STATE_ORDER:
            head += Markup("<th class='text-end'>%s</th>") % state.capitalize()
        total_cells = self._state_cells(stats["jobs"], [], _("jobs"))
        total = Markup(
            "<tr class='fw-bold o_zoho_dashboard_total'><td colspan='5'>%s</td>"
            "<td class='text-end'>%s</td><td class='text-end'>%s</td><td></td>%s</tr>"
        ) % (
            _("All instances, archived ones included"),
            _("%s s", stats["queue_lag_seconds"]),
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
            rows = Markup("<tr><td colspan='14'>%s</td></tr>") % _("No instance yet.")
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

    def _bucket_label(self, bucket, pattern, utc):
        start = fields.Datetime.to_datetime(bucket["start"])
        if not utc:
            start = fields.Datetime.context_timestamp(self, start)
        return start.strftime(pattern)

    def _history_svg(self, buckets, pattern, utc=False):
        """Per bucket (an hour, or a UTC day), the jobs done and failed stacked in one bar and the
        webhooks by verdict in another, as inline SVG (no JavaScript needed to draw it). Each part of
        a bar opens its list: done jobs by date_done, failed ones by date_failed, webhook events by
        received_at, within the bucket."""
        if not any(b["done"] or b["failed"] or b["webhooks"] for b in buckets):
            return Markup("<p class='text-muted'>%s</p>") % _("No job finished and no webhook received.")
        width, height = 720, 200
        step = (width - 40) // len(buckets)
        bar = max((step - 4) // 2, 3)
        peak = max(max(b["done"] + b["failed"], sum(b["webhooks"].values())) for b in buckets) or 1
        parts = [
            Markup(
                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' class='o_zoho_jobs_chart'>"
            )
            % (width, height + 40)
        ]

        def segment(x, y, n, color, title, model, domain):
            h = max(int(n * (height - 20) / peak), 1)
            parts.append(
                Markup(
                    "<a href='#'%s><rect x='%d' y='%d' width='%d' height='%d' fill='%s'>"
                    "<title>%s: %d</title></rect></a>"
                )
                % (attributes(title, model, domain, n), x, y - h, bar, h, color, title, n)
            )
            return y - h

        for i, b in enumerate(buckets):
            label = self._bucket_label(b, pattern, utc)
            x = 40 + i * step
            y = height
            for outcome in ("done", "failed"):
                if not b[outcome]:
                    continue
                field = "date_" + outcome
                window = [("state", "=", outcome), (field, ">=", b["start"]), (field, "<", b["end"])]
                title = _("Jobs %(outcome)s, %(when)s", outcome=outcome, when=label)
                y = segment(x, y, b[outcome], HISTORY_COLORS[outcome], title, "zoho.job", window)
            y = height
            for verdict, n in sorted(b["webhooks"].items()):
                window = [
                    ("verdict", "=", verdict),
                    ("received_at", ">=", b["start"]),
                    ("received_at", "<", b["end"]),
                ]
                title = _("Webhooks %(verdict)s, %(when)s", verdict=verdict, when=label)
                color = VERDICT_COLORS.get(verdict, OTHER_VERDICT_COLOR)
                y = segment(x + bar, y, n, color, title, "zoho.webhook.event", window)
            if i % max(len(buckets) // 12, 1) == 0:
                parts.append(
                    Markup("<text x='%d' y='%d' font-size='10' text-anchor='middle'>%s</text>")
                    % (x + bar, height + 14, label)
                )
        legend = [
            (HISTORY_COLORS["done"], _("jobs done")),
            (HISTORY_COLORS["failed"], _("jobs failed, still failed")),
            (VERDICT_COLORS["accepted"], _("webhooks accepted")),
            (VERDICT_COLORS["duplicate"], _("duplicates")),
            (OTHER_VERDICT_COLOR, _("webhooks refused")),
        ]
        for j, (color, text) in enumerate(legend):
            parts.append(
                Markup(
                    "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
                    "<text x='%d' y='%d' font-size='11'>%s</text>"
                )
                % (40 + j * 135, height + 26, color, 54 + j * 135, height + 35, text)
            )
        parts.append(Markup("</svg>"))
        return Markup("").join(parts)
