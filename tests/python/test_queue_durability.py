"""The queue survives the worst a process can suffer: SIGKILL mid-job, SIGTERM under load."""

import signal

from conftest import wait_for
from rpc import execute


def job_states(sidecar, ids):
    return [r["state"] for r in execute(sidecar, "zoho.job", "read", ids, ["state"])]


def test_a_job_killed_mid_run_is_rescued_and_completes(sidecar):
    execute(sidecar, "zoho.job", "set_queue_settings", {"lease_seconds": 3, "max_runtime_seconds": 2.5})
    job = execute(sidecar, "zoho.job", "enqueue", "sleep", {"seconds": 1.5})
    wait_for("the job to start", lambda: job_states(sidecar, [job]) == ["running"])
    sidecar.proc.send_signal(signal.SIGKILL)
    sidecar.proc.wait()
    sidecar.start()
    wait_for("the rescued job to finish", lambda: job_states(sidecar, [job]) == ["done"], timeout=30)
    [row] = execute(sidecar, "zoho.job", "read", [job], ["attempts"])
    assert row["attempts"] == 2, "the killed attempt counts"


def test_sigterm_under_load_loses_no_job(sidecar):
    ids = [execute(sidecar, "zoho.job", "enqueue", "noop", {}) for _ in range(300)]
    ids += [execute(sidecar, "zoho.job", "enqueue", "sleep", {"seconds": 0.3}) for _ in range(20)]
    sidecar.proc.send_signal(signal.SIGTERM)
    assert sidecar.proc.wait(timeout=40) == 0, "graceful exit"
    sidecar.start()
    wait_for("every job done", lambda: set(job_states(sidecar, ids)) == {"done"})
    assert execute(sidecar, "zoho.job", "search_count", [["state", "!=", "done"]]) == 0
