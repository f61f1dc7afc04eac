"""Tests run against a real zoho-sidecar: ZOHO_SIDECAR_URL and ZOHO_SIDECAR_API_KEY name it
(scripts/odoo-addon-test starts one with the Zoho simulator). Without them they are skipped, and say so."""

import os
import unittest

from odoo import SUPERUSER_ID, api

from ..models.sidecar import KEY_PARAM, URL_PARAM, cached_client

SIDECAR_URL = os.environ.get("ZOHO_SIDECAR_URL")
SIDECAR_KEY = os.environ.get("ZOHO_SIDECAR_API_KEY")
SIMULATOR_URL = os.environ.get("ZOHO_SIM_URL")


def require_sidecar():
    if not SIDECAR_URL:
        raise unittest.SkipTest(
            "ZOHO_SIDECAR_URL is not set: these tests need a running zoho-sidecar (scripts/odoo-addon-test)"
        )
    return cached_client(SIDECAR_URL, SIDECAR_KEY)


def sidecar_instance(cls, name):
    """A CRM instance in the sidecar for a test class, in its company; archived after the class."""
    context = {"allowed_company_ids": [cls.env.company.id]}
    instance = cls.sidecar.execute(
        "zoho.instance", "create", {"name": name, "apps": ["crm"]}, context=context
    )
    cls.addClassCleanup(
        cls.sidecar.execute, "zoho.instance", "write", [instance], {"active": False}, context=context
    )
    return instance


def committed(registry, body, context=None):
    """Runs body(env) in its own transaction and commits it, as a web request would.

    The environment is held and flushed here: the commit flushes only the environments still
    alive (18 keeps them in a weak set), so a temporary one could lose its pending writes.
    """
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, context or {})
        result = body(env)
        env.flush_all()
        return result


def configure(env, url=SIDECAR_URL, key=SIDECAR_KEY):
    params = env["ir.config_parameter"].sudo()
    params.set_param(URL_PARAM, url or "")
    params.set_param(KEY_PARAM, key or "")
