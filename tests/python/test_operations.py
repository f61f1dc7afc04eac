"""What an operator runs and what a monitoring system scrapes, against the real binaries: the CLI
(health, stats, instances, jobs) with tables and --json, /metrics through prometheus-client's own
parser, and JSON-lines logs with request and job ids."""

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from conftest import BIN, engines, free_port, note_secret, started, wait_for
from prometheus_client.parser import text_string_to_metric_families
from rpc import execute

SIM = os.path.join(os.path.dirname(BIN), "zoho-sim")
METRICS_TOKEN = "metrics-token-" + os.urandom(8).hex()
CLIENT_SECRET = "demo-secret-" + os.urandom(8).hex()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, headers=None):
    """GET without following redirects: (status, headers, body)."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def post(url, body, headers=None):
    req = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def answers(url):
    try:
        return get(url)[0] == 200
    except OSError:
        return False


@pytest.fixture(params=engines())
def ops(request):
    """A simulator, and a sidecar talking to it with a metrics token and JSON-lines logs; one
    instance authorized through the simulator's consent."""
    note_secret(METRICS_TOKEN)
    note_secret(CLIENT_SECRET)
    with tempfile.TemporaryDirectory() as d:
        sim_port, port = free_port(), free_port()
        sim_log = open(os.path.join(os.environ.get("ZS_TEST_LOG_DIR") or d, f"py-sim-{sim_port}.log"), "a")  # noqa: SIM115 (open while the simulator runs)
        sim = subprocess.Popen(
            [
                SIM,
                "--port",
                str(sim_port),
                "--auto-approve",
                "--client",
                f"1000.OPS:{CLIENT_SECRET}:http://127.0.0.1:{port}/zoho/oauth/callback",
            ],
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        env = {
            "ZOHO_SIDECAR_METRICS_TOKEN": METRICS_TOKEN,
            "ZOHO_SIDECAR_LOG_FORMAT": "json",
            "ZOHO_SIDECAR_ZOHO_URL_TEMPLATE": f"http://127.0.0.1:{sim_port}/{{dc}}",
        }
        s = None
        try:
            wait_for("the simulator", lambda: answers(f"http://127.0.0.1:{sim_port}/_sim/config"))
            s = started(d, request.param, port=port, env=env)
            s.sim = f"http://127.0.0.1:{sim_port}"
            s.instance = execute(
                s,
                "zoho.instance",
                "create",
                {"name": "Ops", "data_center": "eu", "client_id": "1000.OPS", "client_secret": CLIENT_SECRET},
            )
            consent = execute(s, "zoho.instance", "action_authorize", [s.instance])["url"]
            status, headers, _ = get(consent)
            assert status == 302
            assert get(headers["Location"])[0] in (200, 302)
            yield s
        finally:
            if s:
                for secret in execute_secrets(s):
                    note_secret(secret)
                s.stop()
            sim.terminate()
            sim.wait(timeout=10)
            sim_log.close()


def execute_secrets(s):
    """The webhook secret the instance holds (the tokens are Zoho-shaped, which the scan catches anyway)."""
    try:
        return [execute(s, "zoho.instance", "action_show_webhook_secret", [s.instance])["webhook_secret"]]
    except Exception:  # noqa: BLE001  # pylint: disable=broad-except
        return []


def test_health_exits_zero_when_ready_and_one_when_the_sidecar_is_gone(ops):
    ok = ops.run_cli("health", "--port", str(ops.port))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "status: ok" in ok.stdout and "workers: running" in ok.stdout
    report = json.loads(ops.cli("health", "--port", str(ops.port), "--json"))
    assert report["status"] == "ok" and report["schema_version"] == report["schema_latest"]
    ops.stop()
    gone = ops.run_cli("health", "--port", str(ops.port))
    assert gone.returncode == 1
    assert "no sidecar answers" in gone.stdout
    ops.start()


def test_instances_list_test_and_refresh(ops):
    [row] = json.loads(ops.cli("instances", "list", "--json"))
    assert row["name"] == "Ops" and row["state"] == "connected" and row["data_center"] == "eu"
    assert "client_secret" not in json.dumps(row)
    table = ops.cli("instances", "list")
    assert table.splitlines()[0].split()[:3] == ["ID", "COMPANY_ID", "NAME"] and "connected" in table

    test = ops.run_cli("instances", "test", str(ops.instance))
    assert test.returncode == 0 and test.stdout.startswith("crm: ok in ")
    before = row["token_expires_at"]
    time.sleep(1.1)
    refreshed = json.loads(ops.cli("instances", "refresh", str(ops.instance), "--json"))
    assert refreshed["state"] == "connected"
    [after] = json.loads(ops.cli("instances", "list", "--json"))
    assert after["token_expires_at"] > before

    req = urllib.request.Request(
        ops.sim + "/_sim/faults",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"target": "crm", "kind": "500", "percent": 100}).encode(),
    )
    urllib.request.urlopen(req, timeout=10).read()
    failing = ops.run_cli("instances", "test", str(ops.instance))
    assert failing.returncode == 1 and "crm: FAILED" in failing.stdout
    urllib.request.urlopen(
        urllib.request.Request(ops.sim + "/_sim/faults", method="DELETE"), timeout=10
    ).read()
    missing = ops.run_cli("instances", "refresh", "999")
    assert missing.returncode != 0 and "instance 999 does not exist" in missing.stderr


def test_stats_and_jobs_commands_agree_with_the_store(ops):
    done = [execute(ops, "zoho.job", "enqueue", "noop", {}) for _ in range(5)]
    failed = execute(ops, "zoho.job", "enqueue", "zoho.pull", {}, instance_id=ops.instance)
    later = execute(ops, "zoho.job", "enqueue", "noop", {}, eta="2099-01-01 00:00:00")
    wait_for(
        "the jobs to run",
        lambda: execute(ops, "zoho.job", "search_count", [["state", "in", ["done", "failed"]]]) >= 6,
    )

    counted = {
        s: execute(ops, "zoho.job", "search_count", [["state", "=", s]])
        for s in ("pending", "running", "done", "failed", "cancelled")
    }
    stats = json.loads(ops.cli("stats", "--json"))
    assert {s: stats["jobs"][s] for s in counted} == counted
    assert stats["last_hour"]["done"] == counted["done"] and stats["last_day"]["failed"] == 1
    [inst] = [i for i in stats["instances"] if i["instance_id"] == ops.instance]
    assert inst["name"] == "Ops" and inst["kinds"]["zoho.pull"]["failed"] == 1
    table = ops.cli("stats")
    assert table.startswith(f"jobs      pending {counted['pending']}") and "Ops" in table

    shown = json.loads(ops.cli("jobs", "show", str(failed), "--json"))
    assert shown["state"] == "failed" and shown["kind"] == "zoho.pull"
    listed = json.loads(ops.cli("jobs", "list", "--state", "done", "--json"))
    assert set(done) <= {r["id"] for r in listed}
    assert json.loads(ops.cli("jobs", "cancel", str(later), "--json")) == {"cancelled": 1}
    assert json.loads(ops.cli("jobs", "retry", str(failed), "--json")) == {"retried": 1}
    assert ops.cli("jobs", "requeue-failed").startswith("requeued ")


def test_metrics_parse_with_prometheus_client_and_need_the_token(ops):
    base = f"http://127.0.0.1:{ops.port}"
    assert get(base + "/metrics")[0] == 401
    assert get(base + "/metrics", {"Authorization": "Bearer nope"})[0] == 401
    execute(ops, "zoho.instance", "action_test_connection", [ops.instance])
    execute(ops, "zoho.instance", "action_refresh_token", [ops.instance])
    job = execute(ops, "zoho.job", "enqueue", "noop", {})
    wait_for("the job", lambda: execute(ops, "zoho.job", "read", [job], ["state"])[0]["state"] == "done")
    assert (
        post(base + f"/zoho/webhook/{ops.instance}/crm/Contacts", "{}", {"X-Zoho-Webhook-Secret": "wrong"})[0]
        == 401
    )

    status, headers, text = get(base + "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = lambda name: [(s.name, s.labels, s.value) for s in families[name].samples]
    assert families["zoho_sidecar_jobs_finished"].type == "counter"
    assert ("zoho_sidecar_jobs_finished_total", {"kind": "noop", "outcome": "done"}, 1.0) in samples(
        "zoho_sidecar_jobs_finished"
    )
    assert any(
        l == {"app": "crm", "status": "200"} and v >= 1 for _, l, v in samples("zoho_sidecar_zoho_api_calls")
    )
    assert any(l == {"result": "ok"} and v >= 1 for _, l, v in samples("zoho_sidecar_token_refreshes"))
    assert families["zoho_sidecar_job_duration_seconds"].type == "histogram"
    assert families["zoho_sidecar_jobs"].type == "gauge"
    assert any(
        l.get("kind") == "noop" and l.get("state") == "done" and v >= 1
        for _, l, v in samples("zoho_sidecar_jobs")
    )
    assert samples("zoho_sidecar_queue_lag_seconds")[0][2] >= 0
    assert samples("zoho_sidecar_store_up")[0][2] == 1
    assert any(l == {"verdict": "unauthorized"} and v == 1 for _, l, v in samples("zoho_sidecar_webhooks"))
    assert METRICS_TOKEN not in text and CLIENT_SECRET not in text


def test_logs_are_json_lines_with_request_and_job_ids(ops):
    status, headers, _ = post(
        f"http://127.0.0.1:{ops.port}/zoho/webhook/{ops.instance}/crm/Contacts",
        "{}",
        {"X-Zoho-Webhook-Secret": "wrong", "X-Request-Id": "probe-7"},
    )
    assert status == 401 and headers["X-Request-Id"] == "probe-7"
    job = execute(
        ops,
        "zoho.job",
        "enqueue",
        "zoho.pull",
        {"app": "crm", "object": "Contacts", "ids": ["1"]},
        instance_id=ops.instance,
    )
    wait_for("the job", lambda: execute(ops, "zoho.job", "read", [job], ["state"])[0]["state"] != "pending")
    time.sleep(0.3)
    with open(ops.log_path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.startswith("{")]
    assert records, "no JSON log lines"
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r.get("request_id") == "probe-7" and "unauthorized" in r["message"] for r in records)
    assert any(r.get("job_id") == str(job) and r["level"] in ("warning", "error") for r in records), (
        "the job's failure is logged with its id"
    )
