import json
import re
import time
from html import unescape

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.release import version_info
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.sidecar import call
from .common import SIDECAR_KEY, SIDECAR_URL, configure, require_sidecar

SPEC = {"name": {}, "apps": {}, "state": {}, "company_id": {"fields": {"display_name": {}}}}
# 19's web client groups with web_read_group(domain, groupby, aggregates) and formatted_read_group;
# 17 and 18's with web_read_group(domain, fields, groupby) and read_group.
ODOO_19 = version_info[0] >= 19


@tagged("post_install", "-at_install")
class TestSidecarViews(TransactionCase):
    """The models whose records live in the sidecar behave as Odoo models for the web client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = require_sidecar()
        configure(cls.env)
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Zoho Test B"})
        cls.manager = new_test_user(
            cls.env,
            "zoho_manager",
            groups="base.group_user,zoho_connector_core.group_zoho_manager",
            company_id=cls.company_a.id,
            company_ids=[Command.set([cls.company_a.id, cls.company_b.id])],
        )
        cls.user_a = new_test_user(
            cls.env,
            "zoho_user_a",
            groups="base.group_user,zoho_connector_core.group_zoho_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set([cls.company_a.id])],
        )
        cls.tag = "views-%s" % cls.sidecar.execute("zoho.instance", "search_count", [])

    def instances(self, user=None, companies=None):
        model = self.env["zoho.instance"].with_user(user or self.manager)
        if companies:
            model = model.with_context(allowed_company_ids=companies.ids)
        return model

    def test_list_form_and_save_go_through_the_sidecar(self):
        instances = self.instances()
        saved = instances.browse().web_save(
            {"name": "EU %s" % self.tag, "apps": "crm, books", "data_center": "eu"}, SPEC
        )
        record = saved[0]
        self.assertEqual((record["apps"], record["state"]), ("crm, books", "draft"))
        self.assertEqual(record["company_id"], {"id": self.company_a.id, "display_name": self.company_a.name})
        listed = instances.web_search_read(
            [("name", "=", "EU %s" % self.tag)], SPEC, limit=80, order="name desc"
        )
        self.assertEqual([r["id"] for r in listed["records"]], [record["id"]])
        self.assertEqual(listed["length"], 1)
        # the sidecar has it: any other RPC client sees the same record
        self.assertEqual(
            self.sidecar.execute("zoho.instance", "read", [record["id"]], ["apps"])[0]["apps"],
            ["crm", "books"],
        )
        instances.browse(record["id"]).web_save({"scopes": "ZohoCRM.modules.ALL"}, {"scopes": {}})
        self.assertEqual(
            instances.browse(record["id"]).web_read({"scopes": {}})[0]["scopes"], "ZohoCRM.modules.ALL"
        )

    def test_paging_sorting_and_grouping(self):
        instances = self.instances()
        ids = instances.create([{"name": "Page %s %02d" % (self.tag, n)} for n in range(5)]).ids
        domain = [("name", "like", "Page %s" % self.tag)]
        page = instances.web_search_read(domain, {"name": {}}, offset=2, limit=2, order="name desc")
        self.assertEqual([r["id"] for r in page["records"]], [ids[2], ids[1]])
        self.assertEqual(page["length"], 5)
        jobs = self.env["zoho.job"].with_user(self.manager)
        for _ in range(3):
            self.sidecar.execute(
                "zoho.job", "create", {"kind": "noop", "instance_id": ids[0], "eta": "2100-01-01 00:00:00"}
            )
        domain = [("instance_id", "=", ids[0])]
        if ODOO_19:
            groups = jobs.web_read_group(domain, ["state"], ["__count"])
            counts = [(g["state"], g["__count"]) for g in groups["groups"]]
            group_domain = domain + groups["groups"][0]["__extra_domain"]
        else:
            groups = jobs.web_read_group(domain, ["state"], ["state"])
            counts = [(g["state"], g["state_count"]) for g in groups["groups"]]
            group_domain = groups["groups"][0]["__domain"]
        self.assertEqual(counts, [("pending", 3)])
        self.assertEqual(groups["length"], 1)
        in_group = jobs.web_search_read(
            group_domain, {"kind": {}, "instance_id": {"fields": {"display_name": {}}}}
        )
        self.assertEqual(in_group["length"], 3)
        self.assertEqual(in_group["records"][0]["instance_id"]["display_name"], "Page %s 00" % self.tag)

    def test_groups_by_day_and_state_as_the_graph_asks(self):
        instance = self.instances().create({"name": "Graph %s" % self.tag})
        for kind in ("noop", "noop", "sleep"):
            self.sidecar.execute(
                "zoho.job", "create", {"kind": kind, "instance_id": instance.id, "eta": "2100-01-01 00:00:00"}
            )
        jobs = self.env["zoho.job"].with_user(self.manager)
        domain = [("instance_id", "=", instance.id)]
        if ODOO_19:
            groups = jobs.formatted_read_group(domain, ["create_date:day", "state"], ["__count"])
            self.assertEqual([(g["state"], g["__count"]) for g in groups], [("pending", 3)])
            day, label = groups[0]["create_date:day"]
            group_domain = domain + groups[0]["__extra_domain"]
        else:
            groups = jobs.read_group(domain, ["__count"], ["create_date:day", "state"], lazy=False)
            self.assertEqual([(g["state"], g["__count"]) for g in groups], [("pending", 3)])
            label = groups[0]["create_date:day"]
            day = groups[0]["__range"]["create_date:day"]["from"]
            group_domain = groups[0]["__domain"]
        self.assertEqual(label, fields.Datetime.to_datetime(day).strftime("%d %b %Y"))
        self.assertEqual(jobs.search_count(group_domain), 3)
        # The ORM's own grouping (web_read_group counts groups with it), as values and counts.
        self.assertEqual(
            jobs._read_group(domain, ["kind", "instance_id"], ["__count"]),
            [("noop", instance, 2), ("sleep", instance, 1)],
        )

    def test_name_search_and_display_name(self):
        instances = self.instances()
        record = instances.create({"name": "Named %s" % self.tag})
        other = instances.create({"name": "Named %s too" % self.tag})
        only = [("id", "=", record.id)]
        # The web client names the domain `args` up to 18, `domain` from 19 on.
        by_keyword = {"domain": only} if ODOO_19 else {"args": only}
        self.assertEqual(
            instances.name_search("Named %s" % self.tag, **by_keyword), [(record.id, "Named %s" % self.tag)]
        )
        self.assertEqual(
            sorted(instances.name_search("Named %s" % self.tag, [], "ilike", 10)),
            [(record.id, "Named %s" % self.tag), (other.id, "Named %s too" % self.tag)],
        )
        self.assertEqual(
            (record | other).mapped("display_name"), ["Named %s" % self.tag, "Named %s too" % self.tag]
        )

    def test_buttons_call_the_sidecar(self):
        instance = self.instances().create({"name": "Buttons %s" % self.tag})
        report = instance.action_health_check()
        self.assertEqual(report["tag"], "display_notification")
        self.assertIn("store", report["params"]["message"])
        self.assertIn("not authorized yet", report["params"]["message"])
        instance.action_disable()
        self.assertEqual(instance.read(["state"])[0]["state"], "disabled")
        instance.action_enable()
        self.assertEqual(instance.read(["state"])[0]["state"], "draft")
        job = (
            self.env["zoho.job"]
            .with_user(self.manager)
            .browse(
                self.sidecar.execute(
                    "zoho.job",
                    "create",
                    {"kind": "noop", "instance_id": instance.id, "eta": "2100-01-01 00:00:00"},
                )
            )
        )
        job.action_cancel()
        self.assertEqual(job.read(["state"])[0]["state"], "cancelled")
        job.action_retry()
        self.assertEqual(job.read(["state"])[0]["state"], "pending")

    def test_sidecar_errors_are_odoo_errors_with_its_message(self):
        with self.assertRaisesRegex(ValidationError, "apps"):
            self.instances().create({"name": "Bad %s" % self.tag, "apps": "crm, nope"})
        with self.assertRaises(UserError):
            self.instances().browse(10**9).action_health_check()

    def test_an_unconfigured_sidecar_is_a_user_error(self):
        configure(self.env, url="")
        with self.assertRaisesRegex(UserError, "not configured"):
            self.instances().web_search_read([], {"name": {}})

    def test_secrets_are_write_only(self):
        instance = self.instances().create({"name": "Secret %s" % self.tag, "client_secret": "s3cr3t-value"})
        values = instance.web_read({"client_secret": {}, "client_secret_set": {}})[0]
        self.assertEqual((values["client_secret"], values["client_secret_set"]), (False, True))
        instance.write({"client_secret": ""})  # an empty form field leaves the secret alone
        self.assertTrue(instance.web_read({"client_secret_set": {}})[0]["client_secret_set"])

    def test_users_see_only_their_companies_and_only_managers_change_instances(self):
        in_a = self.instances(companies=self.company_a).create({"name": "In A %s" % self.tag})
        in_b = self.instances(companies=self.company_b).create({"name": "In B %s" % self.tag})
        domain = [("name", "like", self.tag), ("name", "like", "In ")]
        seen_by_user = self.instances(self.user_a).web_search_read(domain, {"name": {}})
        self.assertEqual([r["id"] for r in seen_by_user["records"]], [in_a.id])
        with self.assertRaises(AccessError):
            self.instances(self.user_a).browse(in_b.id).web_read({"name": {}})
        both = self.instances(companies=self.company_a | self.company_b).web_search_read(
            domain, {"name": {}}, order="id"
        )
        self.assertEqual([r["id"] for r in both["records"]], [in_a.id, in_b.id])
        only_b = self.instances(companies=self.company_b).web_search_read(domain, {"name": {}})
        self.assertEqual([r["id"] for r in only_b["records"]], [in_b.id])
        with self.assertRaises(AccessError):
            self.instances(self.user_a).create({"name": "Not allowed"})
        with self.assertRaises(AccessError):
            self.instances(self.user_a).browse(in_a.id).write({"name": "Renamed"})

    def test_settings_test_the_sidecar_with_the_key_given(self):
        settings = self.env["res.config.settings"].create(
            {"zoho_sidecar_url": SIDECAR_URL, "zoho_sidecar_api_key": SIDECAR_KEY}
        )
        notification = settings.action_zoho_test_sidecar()
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("accepted the API key", notification["params"]["message"])
        wrong = self.env["res.config.settings"].create(
            {"zoho_sidecar_url": SIDECAR_URL, "zoho_sidecar_api_key": "zsk_wrong"}
        )
        with self.assertRaisesRegex(UserError, "refused the API key"):
            wrong.action_zoho_test_sidecar()
        down = self.env["res.config.settings"].create(
            {"zoho_sidecar_url": "http://127.0.0.1:9", "zoho_sidecar_api_key": SIDECAR_KEY}
        )
        with self.assertRaisesRegex(UserError, "cannot be reached"):
            down.action_zoho_test_sidecar()

    def dashboard_figures(self, dashboard):
        """Every figure of the dashboard: (the count shown, the window action it opens)."""
        html = str(dashboard.summary) + str(dashboard.hours_chart) + str(dashboard.jobs_chart)
        found = re.findall(r"data-zoho-list='([^']*)' data-zoho-count='(\d+)'", html)
        return [(int(count), json.loads(unescape(action))) for action, count in found]

    def test_every_dashboard_figure_is_the_count_of_the_list_it_opens(self):
        """The banner, the table (archived instances and jobs without instance included) and the
        chart: each number equals search_count of the list it links to, and the table's rows add up
        to its total row. The sidecar's workers may move a job between two reads: the page is read
        again, up to five times, until one reading holds still."""
        instances = self.instances()
        kept = instances.create({"name": "Dash %s" % self.tag})
        gone = instances.create({"name": "Dash archived %s" % self.tag})
        # A pull without its fields fails at its first run: the archived instance keeps a failure.
        call(self.env, "zoho.job", "enqueue", "zoho.pull", {"app": "crm"}, gone.id, 10, False, False, 1)
        call(
            self.env,
            "zoho.job",
            "create",
            {"kind": "noop", "instance_id": kept.id, "eta": "2100-01-01 00:00:00"},
        )
        gone.write({"active": False})
        wrong = None
        for _attempt in range(5):
            dashboard = self.env["zoho.dashboard"].with_user(self.manager).create({})
            figures = self.dashboard_figures(dashboard)
            wrong = [
                (count, action["name"], action["domain"])
                for count, action in figures
                if self.env[action["res_model"]].with_user(self.manager).search_count(action["domain"])
                != count
            ]
            if not wrong:
                break
            time.sleep(1)
        self.assertFalse(wrong, "figures that are not the count of their list")
        self.assertGreater(len(figures), 20)
        self.assertIn("Dash archived %s" % self.tag, dashboard.summary)
        self.assertIn("archived", dashboard.summary)
        if self.has_jobs_without_instance():
            self.assertIn("(no instance)", dashboard.summary)
        stats = call(self.env["zoho.job"].with_user(self.manager).env, "zoho.job", "get_dashboard_stats")
        self.assertEqual(dashboard.failures_24h, stats["failed_last_day"])
        for state in ("pending", "failed"):
            per_row = sum(e["jobs"][state] for e in stats["instances"])
            self.assertEqual(per_row, stats["jobs"][state], "the rows add up to the total of %s jobs" % state)
        self.assertIn("<svg", dashboard.jobs_chart)
        self.assertIn("<svg", dashboard.hours_chart)
        hours = stats["history"]["hours"]
        self.assertEqual(
            sum(h["failed"] for h in hours), stats["failed_last_day"], "the hours add up to the day"
        )

    def has_jobs_without_instance(self):
        return bool(call(self.env, "zoho.job", "search_count", [["instance_id", "=", False]]))
