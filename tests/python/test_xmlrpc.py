"""Python's xmlrpc.client talks to the sidecar exactly as Odoo's External API documentation shows it
talking to Odoo: /xmlrpc/2/common and /xmlrpc/2/object, Odoo's types and its fault codes."""

import http.client
import tempfile
import xmlrpc.client

import pytest
from conftest import started


def proxies(sidecar, prefix="/xmlrpc/2"):
    url = f"http://127.0.0.1:{sidecar.port}"
    common = xmlrpc.client.ServerProxy(f"{url}{prefix}/common")
    models = xmlrpc.client.ServerProxy(f"{url}{prefix}/object")
    return common, models


def test_the_external_api_walkthrough(sidecar):
    common, models = proxies(sidecar)
    version = common.version()
    assert version["server_version"] == "17.0"
    assert version["server_version_info"][:2] == [17, 0]
    assert version["sidecar_version"]
    uid = common.authenticate("zoho_sidecar", "odoo", sidecar.api_key, {})
    assert isinstance(uid, int) and uid > 0
    key = sidecar.api_key

    new_id = models.execute_kw(
        "zoho_sidecar", uid, key, "zoho.instance", "create", [{"name": "Acme", "data_center": "eu"}]
    )
    assert isinstance(new_id, int)
    assert models.execute_kw(
        "zoho_sidecar", uid, key, "zoho.instance", "search", [[["data_center", "=", "eu"]]]
    ) == [new_id]
    assert models.execute_kw("zoho_sidecar", uid, key, "zoho.instance", "search_count", [[]]) == 1
    [row] = models.execute_kw(
        "zoho_sidecar",
        uid,
        key,
        "zoho.instance",
        "read",
        [[new_id]],
        {"fields": ["name", "client_id", "create_date", "company_id"]},
    )
    # Empty values are False, datetimes Odoo's "YYYY-MM-DD HH:MM:SS" strings.
    assert row["name"] == "Acme"
    assert row["client_id"] is False
    assert len(row["create_date"]) == 19 and row["create_date"][10] == " "
    assert models.execute_kw(
        "zoho_sidecar", uid, key, "zoho.instance", "write", [[new_id], {"name": "Acme EU"}]
    )
    rows = models.execute_kw(
        "zoho_sidecar",
        uid,
        key,
        "zoho.instance",
        "search_read",
        [[["name", "ilike", "acme"]]],
        {"fields": ["name"], "limit": 5},
    )
    assert rows == [{"id": new_id, "name": "Acme EU"}]
    fields = models.execute_kw(
        "zoho_sidecar", uid, key, "zoho.instance", "fields_get", [], {"attributes": ["string", "type"]}
    )
    assert fields["name"]["type"] == "char"


def test_many2one_values_are_id_and_name_pairs(sidecar):
    common, models = proxies(sidecar)
    key = sidecar.api_key
    uid = common.authenticate("zoho_sidecar", "odoo", key, {})
    instance = models.execute_kw("zoho_sidecar", uid, key, "zoho.instance", "create", [{"name": "Pairs"}])
    models.execute_kw(
        "zoho_sidecar",
        uid,
        key,
        "zoho.binding",
        "create",
        [
            {
                "instance_id": instance,
                "odoo_model": "res.partner",
                "odoo_id": 7,
                "zoho_app": "crm",
                "zoho_object": "Contacts",
                "zoho_id": "5725767000000000001",
            }
        ],
    )
    [binding] = models.execute_kw(
        "zoho_sidecar", uid, key, "zoho.binding", "search_read", [[]], {"fields": ["instance_id"]}
    )
    assert binding["instance_id"] == [instance, "Pairs"]


def test_faults_carry_odoos_codes(sidecar):
    common, models = proxies(sidecar)
    key = sidecar.api_key
    assert common.authenticate("zoho_sidecar", "odoo", "zsk_wrong", {}) is False
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("zoho_sidecar", 1, "zsk_wrong", "zoho.instance", "search", [[]])
    assert denied.value.faultCode == 3
    assert denied.value.faultString == "Access Denied"
    uid = common.authenticate("zoho_sidecar", "odoo", key, {})
    with pytest.raises(xmlrpc.client.Fault) as invalid:
        models.execute_kw("zoho_sidecar", uid, key, "zoho.instance", "search", [[["nofield", "=", 1]]])
    assert invalid.value.faultCode == 1
    assert invalid.value.faultString.startswith("ValueError: ")
    with pytest.raises(xmlrpc.client.Fault) as missing:
        models.execute_kw("zoho_sidecar", uid, key, "zoho.instance", "read", [[999999]], {"fields": ["name"]})
    assert missing.value.faultCode == 2
    assert "does not exist" in missing.value.faultString


def test_the_older_door_gives_string_fault_codes(sidecar):
    common, models = proxies(sidecar, prefix="/xmlrpc")
    assert common.version()["server_serie"] == "17.0"
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("zoho_sidecar", 1, "zsk_wrong", "zoho.instance", "search", [[]])
    assert denied.value.faultCode == "AccessDenied"


def post(sidecar, body, path="/xmlrpc/2/common"):
    conn = http.client.HTTPConnection("127.0.0.1", sidecar.port, timeout=10)
    conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
    reply = conn.getresponse()
    return reply.status, reply.read().decode()


@pytest.mark.parametrize(
    "body",
    [
        # Entity expansion ("billion laughs"): no DTD is accepted at all.
        (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            "<methodCall><methodName>version</methodName><params><param><value>&b;</value></param></params></methodCall>"
        ),
        # An external entity.
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<methodCall><methodName>version</methodName><params><param><value>&e;</value></param></params></methodCall>"
        ),
        # Nesting deeper than any real call.
        "<methodCall><methodName>version</methodName><params><param><value>"
        + "<array><data><value>" * 200
        + "</value></data></array>" * 200
        + "</value></param></params></methodCall>",
        "not xml at all",
        # Found by the fuzzer: each of these ended the process inside Foundation's XMLParser.
        b"<methodCall><methodName>version</methodName><params><para\xe6><value>x</value></param></params></methodCall>",
        "<?xm?>l version='1.0'?><methodCall><methodName>version</methodName><params/></methodCall>",
        "<methodCall><params/></methodCall>",
        (
            "<methodCall><methodName>version</methodName><params><param><value><int>12x</int></value></param>"
            "</params></methodCall>"
        ),
    ],
)
def test_hostile_or_broken_xml_gets_a_fault_and_leaks_nothing(sidecar, body):
    status, text = post(sidecar, body)
    assert status == 200
    assert "<fault>" in text
    with pytest.raises(xmlrpc.client.Fault) as err:
        xmlrpc.client.loads(text.encode())
    assert "root:" not in err.value.faultString
    assert ".swift" not in err.value.faultString
    assert sidecar.proc.poll() is None


def rss_kb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_malformed_requests_leave_memory_flat():
    """Found by libFuzzer (LeakSanitizer): Foundation's XMLParser on Linux, which read requests
    before the sidecar's own reader, leaked about 300 bytes for every malformed document, and the
    body is read before any credential is checked."""
    with tempfile.TemporaryDirectory() as d:
        s = started(d, "sqlite", args=["--rpc-rate", "1000000", "--rpc-burst", "1000000"])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)

            def send(n):
                for _ in range(n):
                    conn.request(
                        "POST", "/xmlrpc/2/common", body="<?xml v", headers={"Content-Type": "text/xml"}
                    )
                    reply = conn.getresponse()
                    assert reply.status == 200 and b"<fault>" in reply.read()

            send(2_000)  # buffers and pools at their working size
            before = rss_kb(s.proc.pid)
            send(10_000)
            grown = rss_kb(s.proc.pid) - before
            assert grown < 2_048, f"RSS grew by {grown} kB over 10,000 malformed requests"
        finally:
            s.stop()
