"""A minimal JSON-RPC caller for tests (stdlib only)."""

import json
import urllib.request


def call(port, service, method, *args, timeout=10):
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": 1,
        }
    ).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/jsonrpc", data=body, headers={"Content-Type": "application/json"}
    )
    reply = json.loads(urllib.request.urlopen(req, timeout=timeout).read())
    if "error" in reply:
        raise RuntimeError(reply["error"]["data"]["message"])
    return reply["result"]


def execute(sidecar, model, method, *args, **kwargs):
    return call(
        sidecar.port, "object", "execute_kw", "db", 1, sidecar.api_key, model, method, list(args), kwargs
    )
