"""Fixtures that start the real `zoho-sidecar` binary on 127.0.0.1 with a throw-away data directory."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SIDECAR_BIN", os.path.join(ROOT, ".build", "debug", "zoho-sidecar"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOG_DIR = os.environ.get("ZS_TEST_LOG_DIR")


def wait_for(what, condition, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def note_secret(value):
    """A secret this test uses: scripts/scan-test-logs fails if it shows up in any log line."""
    if LOG_DIR:
        with open(os.path.join(LOG_DIR, f"secrets-py-{os.getpid()}.txt"), "a", encoding="utf-8") as f:
            f.write(value + "\n")


class Sidecar:
    def __init__(self, data_dir, port, database=None, args=(), env=None):
        self.data_dir, self.port, self.database = data_dir, port, database
        self.args, self.env = list(args), dict(env or {})
        self.proc = None
        # Everything the process writes goes to a file: the suite's log, scanned for secrets.
        self.log_path = os.path.join(LOG_DIR or data_dir, f"py-sidecar-{port}.log")

    def command(self, *args):
        cmd = [BIN, *args, "--data-dir", self.data_dir]
        if self.database:
            cmd += ["--database", self.database]
        return cmd

    def run_cli(self, *args):
        """Runs a CLI command; returns the finished process (exit status, stdout, stderr)."""
        proc = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(proc.stderr)
        return proc

    def cli(self, *args):
        proc = self.run_cli(*args)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, args, proc.stdout, proc.stderr)
        return proc.stdout

    def start(self):
        cmd = self.command("serve", "--port", str(self.port), *self.args)
        # The server's log file stays open as long as the server runs, so no `with`.
        log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
        )
        log.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        with open(self.log_path, encoding="utf-8") as f:
            raise RuntimeError("sidecar did not start: " + f.read()[-2000:])

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def engines():
    out = ["sqlite"]
    if os.environ.get("SIDECAR_TEST_POSTGRES") or os.environ.get("CI") == "true":
        out.append("postgres")
    return out


def database_for(engine):
    if engine != "postgres":
        return None
    url = os.environ["SIDECAR_TEST_POSTGRES"]
    schema = "py_" + os.urandom(6).hex()
    subprocess.run(["psql", url, "-qc", f"CREATE SCHEMA {schema}"], check=True)
    return f"{url}?search_path={schema}"


def started(data_dir, engine, port=None, **kwargs):
    s = Sidecar(data_dir, port or free_port(), database_for(engine), **kwargs)
    key_output = s.cli("apikey", "create", "--name", "odoo")
    s.api_key = key_output.splitlines()[1].strip()
    note_secret(s.api_key)
    s.start()
    return s


@pytest.fixture(params=engines())
def sidecar(request):
    with tempfile.TemporaryDirectory() as d:
        s = started(d, request.param)
        yield s
        s.stop()
