"""OdooRPC (PyPI `odoorpc`), the most used Python client for Odoo, used as its documentation shows:
it asks the server's version first and picks its code path by it, then logs in, browses,
creates, writes and calls a button method."""

import odoorpc
import pytest


def connect(sidecar):
    return odoorpc.ODOO("127.0.0.1", port=sidecar.port)


def test_login_search_browse_create_write_and_a_button(sidecar):
    odoo = connect(sidecar)
    assert odoo.version == "17.0"
    odoo.login("zoho_sidecar", "odoo", sidecar.api_key)
    assert odoo.env.uid > 0
    Instance = odoo.env["zoho.instance"]
    new_id = Instance.create({"name": "Acme", "data_center": "eu"})
    assert Instance.search([("data_center", "=", "eu")]) == [new_id]
    record = Instance.browse(new_id)
    assert record.name == "Acme"
    assert record.data_center == "eu"
    record.name = "Acme EU"  # written at once (auto_commit)
    assert Instance.browse(new_id).name == "Acme EU"
    record.write({"client_id": "1000.X"})
    assert Instance.read([new_id], ["client_id"])[0]["client_id"] == "1000.X"
    shown = record.action_show_webhook_secret()
    assert shown["webhook_secret"]


def test_a_wrong_key_is_refused(sidecar):
    odoo = connect(sidecar)
    with pytest.raises(odoorpc.error.RPCError):
        odoo.login("zoho_sidecar", "odoo", "zsk_not-the-key")
