"""An acknowledged webhook is never lost: SIGKILL the sidecar while deliveries stream in, restart it,
and find every delivery that got its 200 in the store with its job."""

import json
import signal
import threading
import time
import urllib.error
import urllib.request

from rpc import execute


def post(port, path, body, headers):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body.encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_sigkill_right_after_200s_loses_no_acknowledged_webhook(sidecar):
    instance = execute(sidecar, "zoho.instance", "create", {"name": "Durable hooks"})
    secret = execute(sidecar, "zoho.instance", "action_show_webhook_secret", [instance])["webhook_secret"]
    acknowledged = {}  # record id -> job ids
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker):
        n = 0
        while not stop.is_set():
            n += 1
            record = f"{worker}x{n}"
            try:
                status, reply = post(
                    sidecar.port,
                    f"/zoho/webhook/{instance}/crm/Contacts",
                    json.dumps({"id": record}),
                    {"X-Zoho-Webhook-Secret": secret},
                )
            except OSError:
                return  # the sidecar is gone: whatever was not answered was not acknowledged
            if status == 200 and reply.get("status") == "accepted":
                with lock:
                    acknowledged[record] = reply["jobs"]

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    sidecar.proc.send_signal(signal.SIGKILL)
    sidecar.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 100, "the gateway was under load when it was killed"

    sidecar.start()
    job_ids = sorted(j for jobs in acknowledged.values() for j in jobs)
    jobs = execute(sidecar, "zoho.job", "read", job_ids, ["payload", "kind", "instance_id"])
    assert len(jobs) == len(job_ids), "every acknowledged delivery's job survived the kill"
    found = {tuple(j["payload"]["ids"]) for j in jobs}
    assert found >= {(record,) for record in acknowledged}
    assert all(j["kind"] == "zoho.pull" and j["instance_id"][0] == instance for j in jobs)
    accepted = execute(
        sidecar,
        "zoho.webhook.event",
        "search_count",
        [["instance_id", "=", instance], ["verdict", "=", "accepted"]],
    )
    assert accepted >= len(acknowledged)
