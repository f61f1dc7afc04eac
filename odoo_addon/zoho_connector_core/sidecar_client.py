"""The sidecar's JSON-RPC, from Python with the standard library only.

The sidecar speaks Odoo's own ``/jsonrpc`` envelope (``common.authenticate``, then
``object.execute_kw`` with the API key as password), so this client is what an Odoo
external-API client would be, with timeouts and typed errors. Nothing here imports Odoo:
the addon wraps these errors into Odoo's exceptions, and CI tests this module alone.
"""

import itertools
import json
import urllib.error
import urllib.request

DATABASE = "zoho_sidecar"


class SidecarError(Exception):
    """The sidecar refused a call. ``name`` is Odoo's exception class name
    (``odoo.exceptions.UserError``, ``odoo.exceptions.AccessError``, ...)."""

    def __init__(self, message, name="odoo.exceptions.UserError", code=200):
        super().__init__(message)
        self.message = message
        self.name = name
        self.code = code


class SidecarUnavailable(SidecarError):
    """The sidecar could not be reached, timed out or answered something else than JSON-RPC."""

    def __init__(self, message):
        super().__init__(message, name="SidecarUnavailable", code=0)


class SidecarClient:
    """One sidecar, one API key. Safe to share between threads: each call is its own request."""

    _ids = itertools.count(1)

    def __init__(self, url, api_key, timeout=10.0):
        if not url:
            raise SidecarError("The Zoho sidecar URL is not set: set it in Settings > Zoho Connector.")
        self.url = url.rstrip("/") + "/jsonrpc"
        self.api_key = api_key or ""
        self.timeout = timeout
        self._uid = None

    def __repr__(self):
        # Never the key: reprs end up in logs and tracebacks.
        return "SidecarClient(%r)" % self.url

    def rpc(self, service, method, *args):
        """One JSON-RPC ``call``; returns ``result`` or raises SidecarError/SidecarUnavailable."""
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": next(self._ids),
                "params": {"service": service, "method": method, "args": list(args)},
            }
        ).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise SidecarUnavailable(
                "The Zoho sidecar at %s answered HTTP %s." % (self.url, error.code)
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise SidecarUnavailable(
                "The Zoho sidecar at %s cannot be reached (%s)." % (self.url, reason)
            ) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise SidecarUnavailable(
                "The Zoho sidecar at %s answered something that is not JSON." % self.url
            ) from None
        if "error" in answer:
            error = answer["error"] or {}
            data = error.get("data") or {}
            raise SidecarError(
                data.get("message") or error.get("message") or "Zoho sidecar error",
                name=data.get("name") or "odoo.exceptions.UserError",
                code=error.get("code", 200),
            )
        return answer.get("result")

    def version(self):
        return self.rpc("common", "version")

    def authenticate(self):
        """The key's user id; raises SidecarError when the sidecar refuses the key."""
        uid = self.rpc("common", "authenticate", DATABASE, "", self.api_key, {})
        if not uid:
            raise SidecarError(
                "The Zoho sidecar refused the API key: create one with "
                "`zoho-sidecar apikey create` and set it in Settings > Zoho Connector.",
                name="odoo.exceptions.AccessDenied",
            )
        return uid

    def execute(self, model, method, *args, **kwargs):
        """``object.execute_kw`` on one of the sidecar's models (``context`` among the kwargs)."""
        if self._uid is None:
            self._uid = self.authenticate()
        return self.rpc(
            "object", "execute_kw", DATABASE, self._uid, self.api_key, model, method, list(args), kwargs
        )
