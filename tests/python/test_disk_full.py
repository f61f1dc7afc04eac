"""The SQLite file's disk fills up (a small tmpfs): enqueues get a clear error, the sidecar stays up,
nothing acknowledged is lost, the database is not corrupted, and work resumes when space returns."""

import os
import sqlite3
import subprocess
import tempfile
import urllib.request

import pytest
from conftest import Sidecar, free_port, note_secret
from rpc import call, execute


def mount(path, size):
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path], check=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_is_a_clear_error_loses_nothing_and_recovers():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data")
        os.mkdir(data)
        mount(data, "3m")
        s = None
        try:
            s = Sidecar(data, free_port(), args=["--workers", "false"])
            s.api_key = s.cli("apikey", "create", "--name", "full").splitlines()[1].strip()
            note_secret(s.api_key)
            s.start()
            acknowledged, error = [], None
            blob = "x" * 60_000
            for i in range(200):
                try:
                    acknowledged.append(execute(s, "zoho.job", "enqueue", "noop", {"blob": blob, "n": i}))
                except RuntimeError as e:
                    error = str(e)
                    break
            assert error is not None, "the disk never filled"
            assert "disk" in error.lower() and "full" in error.lower(), error
            assert data not in error, f"the error names the data directory's path: {error}"
            assert urllib.request.urlopen(f"http://127.0.0.1:{s.port}/healthz", timeout=5).status == 200
            assert call(s.port, "common", "version")["server_version"]

            subprocess.run(["mount", "-o", "remount,size=64m", data], check=True)
            more = [execute(s, "zoho.job", "enqueue", "noop", {"after": i}) for i in range(20)]
            kept = {r["id"] for r in execute(s, "zoho.job", "read", acknowledged + more, ["state"])}
            assert kept == set(acknowledged + more), "an acknowledged job was lost"

            db = sqlite3.connect(f"file:{os.path.join(data, 'sidecar.sqlite')}?mode=ro", uri=True)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.close()
            print(
                f"DISKFULL acknowledged_before_full={len(acknowledged)} lost=0 integrity=ok "
                f"error={error[:80]!r}"
            )
        finally:
            if s:
                s.stop()
            subprocess.run(["umount", data], check=False)
