"""The addon's sidecar client (stdlib only) against a real sidecar: calls, Odoo-shaped errors, timeouts."""

import importlib.util
import os
import socket
import threading
import time

import pytest
from conftest import ROOT, free_port

spec = importlib.util.spec_from_file_location(
    "sidecar_client", os.path.join(ROOT, "odoo_addon", "zoho_connector_core", "sidecar_client.py")
)
sidecar_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sidecar_client)
SidecarClient = sidecar_client.SidecarClient
SidecarError = sidecar_client.SidecarError
SidecarUnavailable = sidecar_client.SidecarUnavailable


def client(sidecar, **kw):
    return SidecarClient(f"http://127.0.0.1:{sidecar.port}", sidecar.api_key, **kw)


def test_calls_models_with_the_callers_companies(sidecar):
    c = client(sidecar)
    assert c.version()["server_serie"]
    one = c.execute("zoho.instance", "create", {"name": "Company one"}, context={"allowed_company_ids": [1]})
    two = c.execute("zoho.instance", "create", {"name": "Company two"}, context={"allowed_company_ids": [2]})
    seen = c.execute(
        "zoho.instance",
        "search_read",
        [],
        fields=["name", "company_id"],
        context={"allowed_company_ids": [1]},
    )
    assert [r["id"] for r in seen] == [one]
    both = c.execute(
        "zoho.instance",
        "search_read",
        [],
        fields=["name"],
        order="id",
        context={"allowed_company_ids": [1, 2]},
    )
    assert [r["id"] for r in both] == [one, two]


def test_sidecar_faults_keep_odoos_exception_name_and_message(sidecar):
    c = client(sidecar)
    with pytest.raises(SidecarError) as e:
        c.execute("zoho.instance", "create", {"name": "x", "apps": ["nope"]})
    assert e.value.name == "odoo.exceptions.ValidationError"
    assert "apps" in e.value.message
    with pytest.raises(SidecarError) as e:
        c.execute("zoho.instance", "read", [999999], ["name"])
    assert e.value.name == "odoo.exceptions.MissingError"
    one = c.execute("zoho.instance", "create", {"name": "Elsewhere"}, context={"allowed_company_ids": [3]})
    with pytest.raises(SidecarError) as e:
        c.execute("zoho.instance", "read", [one], ["name"], context={"allowed_company_ids": [1]})
    assert e.value.name == "odoo.exceptions.AccessError"


def test_a_wrong_key_is_refused_and_never_shown(sidecar):
    c = SidecarClient(f"http://127.0.0.1:{sidecar.port}", "zsk_wrong-key")
    with pytest.raises(SidecarError) as e:
        c.execute("zoho.instance", "search", [])
    assert e.value.name == "odoo.exceptions.AccessDenied"
    assert "zsk_wrong-key" not in str(e.value) and "zsk_wrong-key" not in repr(c)
    assert sidecar.api_key not in repr(client(sidecar))


def test_read_group_counts_jobs_by_state(sidecar):
    c = client(sidecar)
    instance = c.execute("zoho.instance", "create", {"name": "Grouped"})
    for _ in range(3):
        c.execute(
            "zoho.job", "create", {"kind": "noop", "instance_id": instance, "eta": "2100-01-01 00:00:00"}
        )
    groups = c.execute("zoho.job", "read_group", [["instance_id", "=", instance]], ["state"], ["state"])
    assert [(g["state"], g["state_count"]) for g in groups] == [("pending", 3)]
    assert groups[0]["__domain"] == [["state", "=", "pending"], ["instance_id", "=", instance]]
    by_day = c.execute("zoho.job", "read_group", [], ["__count"], ["create_date:day"], lazy=False)
    assert sum(g["__count"] for g in by_day) >= 3 and "__range" in by_day[0]


def test_unreachable_sidecar_is_an_unavailable_error():
    c = SidecarClient(f"http://127.0.0.1:{free_port()}", "k", timeout=2)
    with pytest.raises(SidecarUnavailable) as e:
        c.version()
    assert "cannot be reached" in e.value.message


def test_a_silent_sidecar_times_out():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        held = []
        threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
        c = SidecarClient(f"http://127.0.0.1:{server.getsockname()[1]}", "k", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(SidecarUnavailable):
            c.version()
        assert time.monotonic() - started < 5


def test_no_url_is_a_clear_error():
    with pytest.raises(SidecarError) as e:
        SidecarClient("", "k")
    assert "URL" in e.value.message
