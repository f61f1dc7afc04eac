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


class Sidecar:
    def __init__(self, data_dir, port, database=None):
        self.data_dir, self.port, self.database = data_dir, port, database
        self.proc = None

    def cli(self, *args):
        cmd = [BIN, *args, "--data-dir", self.data_dir]
        if self.database:
            cmd += ["--database", self.database]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def start(self):
        cmd = [BIN, "serve", "--data-dir", self.data_dir, "--port", str(self.port)]
        if self.database:
            cmd += ["--database", self.database]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sidecar did not start: " + self.proc.stdout.read1().decode())

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def engines():
    out = ["sqlite"]
    if os.environ.get("SIDECAR_TEST_POSTGRES") or os.environ.get("CI") == "true":
        out.append("postgres")
    return out


@pytest.fixture(params=engines())
def sidecar(request):
    database = None
    if request.param == "postgres":
        url = os.environ["SIDECAR_TEST_POSTGRES"]
        schema = "py_" + os.urandom(6).hex()
        subprocess.run(["psql", url, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        database = f"{url}?search_path={schema}"
    with tempfile.TemporaryDirectory() as d:
        s = Sidecar(d, free_port(), database)
        key_output = s.cli("apikey", "create", "--name", "odoo")
        s.api_key = key_output.splitlines()[1].strip()
        s.start()
        yield s
        s.stop()
