"""Odoo's web-session doors: log in with a key, a random server-side session in an HttpOnly,
SameSite=Lax cookie, model calls with it, log out, and the session gone."""

import http.cookiejar
import json
import urllib.request


class Client:
    def __init__(self, sidecar):
        self.base = f"http://127.0.0.1:{sidecar.port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers = []

    def call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=10) as reply:
            self.headers = reply.headers.get_all("Set-Cookie") or []
            return json.loads(reply.read())


def test_authenticate_call_kw_and_destroy(sidecar):
    c = Client(sidecar)
    assert c.call("/web/webclient/version_info", {})["result"]["server_version"] == "17.0"
    info = c.call(
        "/web/session/authenticate", {"db": "zoho_sidecar", "login": "odoo", "password": sidecar.api_key}
    )["result"]
    assert info["uid"] > 0
    [cookie] = c.headers
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    session = next(k for k in c.jar if k.name == "session_id").value
    assert len(session) >= 40 and sidecar.api_key not in cookie

    assert c.call("/web/session/get_session_info", {})["result"]["uid"] == info["uid"]
    created = c.call(
        "/web/dataset/call_kw/zoho.instance/create",
        {"model": "zoho.instance", "method": "create", "args": [{"name": "Web"}], "kwargs": {}},
    )["result"]
    rows = c.call(
        "/web/dataset/call_kw",
        {
            "model": "zoho.instance",
            "method": "search_read",
            "args": [[["id", "=", created]]],
            "kwargs": {"fields": ["name"]},
        },
    )["result"]
    assert rows == [{"id": created, "name": "Web"}]

    c.call("/web/session/destroy", {})
    expired = c.call(
        "/web/dataset/call_kw", {"model": "zoho.instance", "method": "search", "args": [[]], "kwargs": {}}
    )
    assert expired["error"]["code"] == 100
    assert expired["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


def test_a_wrong_key_opens_no_session(sidecar):
    c = Client(sidecar)
    reply = c.call("/web/session/authenticate", {"db": "x", "login": "odoo", "password": "zsk_wrong"})
    assert reply["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert not any(k.name == "session_id" for k in c.jar)
    denied = c.call("/web/session/get_session_info", {})
    assert denied["error"]["code"] == 100


def test_a_revoked_key_ends_its_sessions(sidecar):
    c = Client(sidecar)
    c.call("/web/session/authenticate", {"db": "x", "login": "odoo", "password": sidecar.api_key})
    assert c.call("/web/session/get_session_info", {})["result"]["uid"]
    sidecar.cli("apikey", "revoke", "odoo")
    assert c.call("/web/session/get_session_info", {})["error"]["code"] == 100
