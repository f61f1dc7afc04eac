"""How the addon reaches its sidecar: settings, the client, and the sidecar's errors as Odoo's."""

from odoo import _
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from ..sidecar_client import SidecarClient, SidecarError, SidecarUnavailable

URL_PARAM = "zoho_connector_core.sidecar_url"
KEY_PARAM = "zoho_connector_core.sidecar_api_key"
TIMEOUT = 10.0

EXCEPTIONS = {
    "odoo.exceptions.AccessError": AccessError,
    "odoo.exceptions.MissingError": MissingError,
    "odoo.exceptions.ValidationError": ValidationError,
}

# One client per sidecar and key: it keeps the uid the key authenticated as.
_clients = {}


def settings(env):
    params = env["ir.config_parameter"].sudo()
    return params.get_param(URL_PARAM) or "", params.get_param(KEY_PARAM) or ""


def cached_client(url, api_key, timeout=TIMEOUT):
    key = (url, api_key, timeout)
    if key not in _clients:
        _clients[key] = SidecarClient(url, api_key, timeout=timeout)
    return _clients[key]


def client(env, url=None, api_key=None):
    if url is None:
        url, api_key = settings(env)
    if not url:
        # _() finds the language in the caller's locals: `context` is where every series looks.
        context = {"lang": env.lang or "en_US"}  # noqa: F841
        raise UserError(
            _("The Zoho sidecar is not configured: set its URL and API key in Settings > Zoho Connector.")
        )
    return cached_client(url, api_key)


def sidecar_context(env, context=None):
    """The context a call to the sidecar carries: the companies the user has switched on, the language."""
    context = dict(context or {})
    # The current company first: the sidecar, like Odoo, gives new records the first allowed company.
    context.setdefault(
        "allowed_company_ids", [env.company.id] + [c for c in env.companies.ids if c != env.company.id]
    )
    context.setdefault("lang", env.lang or "en_US")
    if "active_test" in env.context:
        # A list of archived records too (e.g. switched-off mappings) asks the sidecar the same.
        context.setdefault("active_test", env.context["active_test"])
    return context


def call(env, model, method, *args, **kwargs):
    """Calls the sidecar within the companies the user has switched on; its errors become Odoo's."""
    context = sidecar_context(env, kwargs.pop("context", None))
    try:
        return client(env).execute(model, method, *args, context=context, **kwargs)
    except SidecarUnavailable as error:
        raise UserError(error.message) from None
    except SidecarError as error:
        raise EXCEPTIONS.get(error.name, UserError)(error.message) from None
