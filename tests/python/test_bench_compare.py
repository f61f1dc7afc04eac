"""scripts/bench-compare: kept benchmark runs, and a new run that falls behind the last kept one
fails, by ratio to the same-run peers first and by absolute figures, beyond the runs' noise."""

import json
import os
import subprocess
import sys

import pytest
from conftest import BIN, ROOT

COMPARE = os.path.join(ROOT, "scripts", "bench-compare")


def results(folder, sidecar_runs, peer_runs):
    """One invocation's results_*.json: the sidecar on PostgreSQL and pgqueuer, each with its runs."""
    os.makedirs(folder, exist_ok=True)
    for name, runs in (("zoho-sidecar-postgres", sidecar_runs), ("pgqueuer", peer_runs)):
        keys = runs[0].keys()
        median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in keys}
        with open(os.path.join(folder, f"results_{name}.json"), "w") as f:
            json.dump({"peer": name, "runs": runs, "median": median}, f)
    return folder


def runs(p99, drain=30_000.0, jitter=0.02):
    return [
        {"lat_p99_ms": p99 * (1 + d), "lat_p50_ms": p99 / 2 * (1 + d), "drain_e2e_jobs_s": drain * (1 - d)}
        for d in (-jitter, 0.0, jitter)
    ]


def compare(kept, *args):
    return subprocess.run(
        [sys.executable, COMPARE, *args],
        env={**os.environ, "BENCH_KEPT_DIR": kept},
        capture_output=True,
        text=True,
        check=False,
    )


def keep_and_check(tmp_path, name, sidecar, peer):
    kept = str(tmp_path / "kept")
    folder = results(str(tmp_path / name), sidecar, peer)
    assert compare(kept, "keep", "queue", folder).returncode == 0
    return compare(kept, "check", "queue")


def test_the_first_run_has_nothing_to_compare(tmp_path):
    check = keep_and_check(tmp_path, "a", runs(3.0), runs(6.0))
    assert check.returncode == 0
    assert "first kept queue run" in check.stdout


def test_a_run_within_the_noise_passes(tmp_path):
    keep_and_check(tmp_path, "a", runs(3.0), runs(6.0))
    check = keep_and_check(tmp_path, "b", runs(3.2), runs(6.1))
    assert check.returncode == 0, check.stdout
    assert "0 failed" in check.stdout


def test_a_slower_latency_fails_by_its_ratio_to_the_peer(tmp_path):
    keep_and_check(tmp_path, "a", runs(3.0), runs(6.0))
    check = keep_and_check(tmp_path, "b", runs(6.1), runs(6.0))
    assert check.returncode == 1, check.stdout
    failing = [line for line in check.stdout.splitlines() if line.endswith("| FAIL |")]
    assert any("zoho-sidecar-postgres / pgqueuer: latency p99 ms" in line for line in failing)
    own = [
        line
        for line in check.stdout.splitlines()
        if line.startswith("| zoho-sidecar-postgres: latency p99 ms")
    ]
    assert own and own[0].endswith("| worse (info) |"), "with a peer beside it, the ratio decides"


def test_a_machine_that_is_slower_for_everyone_fails_nothing(tmp_path):
    keep_and_check(tmp_path, "a", runs(3.0), runs(6.0))
    check = keep_and_check(tmp_path, "b", runs(3.9), runs(7.8))
    ratio_rows = [line for line in check.stdout.splitlines() if " / pgqueuer: " in line]
    assert ratio_rows
    assert all(line.endswith("| ok |") for line in ratio_rows), check.stdout
    assert check.returncode == 0, check.stdout


def test_noisy_runs_allow_more(tmp_path):
    keep_and_check(tmp_path, "a", runs(3.0, jitter=0.3), runs(6.0))
    check = keep_and_check(tmp_path, "b", runs(3.9, jitter=0.3), runs(6.0))
    assert check.returncode == 0, check.stdout


def test_a_failed_run_never_becomes_the_baseline(tmp_path):
    keep_and_check(tmp_path, "a", runs(3.0), runs(6.0))
    assert keep_and_check(tmp_path, "b", runs(9.0), runs(6.0)).returncode == 1
    check = keep_and_check(tmp_path, "c", runs(8.5), runs(6.0))
    assert check.returncode == 1, check.stdout
    first, failed, newest = sorted((tmp_path / "kept" / "queue").iterdir())
    assert json.loads(failed.read_text())["verdict"] == "fail"
    assert json.loads(newest.read_text())["compared_with"] == first.name


@pytest.mark.skipif(not os.environ.get("SIDECAR_TEST_POSTGRES"), reason="needs the suite's PostgreSQL")
def test_catches_a_deliberately_slowed_build(tmp_path):
    """The real queue benchmark, small, on PostgreSQL, twice: as built, then slowed on purpose (the
    worker given one slot and one job per claim); the comparison fails the second on its drain."""
    admin = os.environ["SIDECAR_TEST_POSTGRES"].rsplit("/", 1)[0]
    kept = str(tmp_path / "kept")
    for name, worker in (("baseline", []), ("slowed", ["--concurrency", "1", "--batch", "1"])):
        database = f"bench_compare_{name}"
        subprocess.run(
            [
                "psql",
                f"{admin}/postgres",
                "-qc",
                f"DROP DATABASE IF EXISTS {database}",
                "-c",
                f"CREATE DATABASE {database}",
            ],
            check=True,
            capture_output=True,
        )
        folder = tmp_path / name
        folder.mkdir()
        command = [BIN, "bench", "queue", "--database", f"{admin}/{database}", "--jobs", "2000"]
        command += ["--latency-seconds", "2", "--runs", "3", "--out", str(folder / "results_zoho.json")]
        subprocess.run(command + worker, check=True, capture_output=True, timeout=300)
        assert compare(kept, "keep", "queue", str(folder)).returncode == 0
        check = compare(kept, "check", "queue")
    assert check.returncode == 1, check.stdout
    failing = [line for line in check.stdout.splitlines() if line.endswith("| FAIL |")]
    assert any("drain e2e /s" in line for line in failing), check.stdout
