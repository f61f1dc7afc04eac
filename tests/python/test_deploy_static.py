"""deploy/: the systemd unit and the container file name only settings that exist, start the sidecar
the documented way, and give SIGTERM's drain the time it needs."""

import configparser
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")


def settings_documented():
    with open(os.path.join(ROOT, "docs", "settings.md"), encoding="utf-8") as f:
        return set(re.findall(r"`(ZOHO_SIDECAR_[A-Z_]+)`", f.read())) | {
            "ZOHO_SIDECAR_MASTER_KEY",
            "ZOHO_SIDECAR_CONFIG",
        }


def grace_default():
    with open(os.path.join(ROOT, "docs", "settings.md"), encoding="utf-8") as f:
        return int(re.search(r"\| `shutdown_grace_seconds` \|[^|]*\|[^|]*\| `(\d+)` \|", f.read()).group(1))


def test_every_variable_named_in_deploy_is_a_documented_setting():
    known = settings_documented()
    for name in os.listdir(DEPLOY):
        with open(os.path.join(DEPLOY, name), encoding="utf-8") as f:
            used = set(re.findall(r"ZOHO_SIDECAR_[A-Z_]+[A-Z]", f.read()))
        assert used, name
        assert used <= known, f"{name} names unknown settings: {used - known}"


def test_the_systemd_unit_migrates_serves_and_outwaits_the_shutdown_grace():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(os.path.join(DEPLOY, "zoho-sidecar.service"))
    service = unit["Service"]
    assert service["ExecStart"].endswith("zoho-sidecar serve")
    assert service["ExecStartPre"].endswith("zoho-sidecar migrate")
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > grace_default()
    assert service["StateDirectoryMode"] == "0700" and service["UMask"] == "0077"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_container_file_builds_both_binaries_and_runs_serve_unprivileged():
    with open(os.path.join(DEPLOY, "Containerfile"), encoding="utf-8") as f:
        text = f.read()
    assert "--product zoho-sidecar" in text and "--product zoho-sim" in text
    assert re.search(r"^USER zoho-sidecar$", text, re.MULTILINE)
    assert re.search(r'^ENTRYPOINT \["zoho-sidecar"\]$', text, re.MULTILINE) and re.search(
        r'^CMD \["serve"\]$', text, re.MULTILINE
    )
    assert re.search(r'^HEALTHCHECK .*"zoho-sidecar", "health"', text, re.MULTILINE)
    assert "STOPSIGNAL SIGTERM" in text
