"""A real third-party Odoo client (odoo-client-lib from PyPI) uses the sidecar as it would use Odoo."""

import odoolib
import pytest
from odoolib.tools import AuthenticationError, JsonRPCException


def connect(sidecar, protocol="jsonrpc", password=None):
    return odoolib.get_connection(
        hostname="127.0.0.1",
        protocol=protocol,
        port=sidecar.port,
        database="sidecar",
        login="odoo",
        password=password or sidecar.api_key,
    )


def test_search_read_create_write_on_zoho_instance(sidecar):
    conn = connect(sidecar)
    instances = conn.get_model("zoho.instance")
    new_id = instances.create({"name": "Acme CRM", "data_center": "eu", "client_id": "1000.CLIENT"})
    assert isinstance(new_id, int)
    assert instances.write([new_id], {"name": "Acme CRM (EU)"}) is True
    rows = instances.search_read([["data_center", "=", "eu"]], ["name", "state", "client_id"])
    assert rows == [{"id": new_id, "name": "Acme CRM (EU)", "state": "draft", "client_id": "1000.CLIENT"}]
    assert instances.search_count([]) == 1
    assert instances.unlink([new_id]) is True
    assert instances.search([]) == []


def test_wrong_key_is_refused_like_odoo(sidecar):
    conn = connect(sidecar, password="zsk_not-the-right-key-at-all")
    with pytest.raises(AuthenticationError):
        conn.check_login()


def test_odoo_errors_reach_the_client(sidecar):
    instances = connect(sidecar).get_model("zoho.instance")
    with pytest.raises(JsonRPCException) as err:
        instances.read([424242], ["name"])
    assert err.value.error["data"]["name"] == "odoo.exceptions.MissingError"


def test_json2_connection_with_named_arguments(sidecar):
    conn = connect(sidecar, protocol="json2")
    instances = conn.get_model("zoho.instance")
    ids = instances.create(vals_list=[{"name": "Via JSON-2"}])
    assert instances.search_read(domain=[["id", "in", ids]], fields=["name"]) == [
        {"id": ids[0], "name": "Via JSON-2"}
    ]


def test_apikey_cli_lists_and_revokes(sidecar):
    listing = sidecar.cli("apikey", "list")
    assert "odoo" in listing and sidecar.api_key not in listing
    sidecar.cli("apikey", "revoke", "odoo")
    with pytest.raises(AuthenticationError):
        connect(sidecar).check_login()
