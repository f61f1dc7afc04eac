"""scripts/scan-test-logs, the suite's last check, finds what it must and refuses a capture too small."""

import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCAN = os.path.join(ROOT, "scripts", "scan-test-logs")


def scan(files, *args):
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        return subprocess.run(
            [SCAN, d, "--min-lines", "3", "--min-secrets", "1", *args],
            capture_output=True,
            text=True,
            check=False,
        )


CLEAN = "a line\nAuthorization: Zoho-oauthtoken ***\ntoken 1000.*** refreshed\n"


def test_a_clean_capture_passes():
    r = scan({"a.log": CLEAN, "secrets-1.txt": "hunter2-long-secret\n"})
    assert r.returncode == 0, r.stdout
    assert "3 log lines in 1 files, 1 secrets and 3 shapes looked for, 0 found" in r.stdout


def test_a_used_secret_or_a_secret_shape_in_a_line_fails():
    for leak in [
        "client secret hunter2-long-secret sent",
        "got 1000.0123456789abcdef.fedcba9876543210",
        "key zsk_abcdefghijklmnopqrstuvwxyz",
        "Authorization: Bearer abcdefgh12345678",
    ]:
        r = scan({"a.log": CLEAN + leak + "\n", "secrets-1.txt": "hunter2-long-secret\n"})
        assert r.returncode == 1 and "a.log:4" in r.stdout, (leak, r.stdout)


def test_an_empty_capture_proves_nothing_and_fails():
    r = scan({"secrets-1.txt": "hunter2-long-secret\n"})
    assert r.returncode == 1 and "too small" in r.stdout
