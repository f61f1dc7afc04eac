"""The Odoo addon, checked without Odoo: pylint-odoo finds nothing, the XML parses, and everything the
manifest, the access rules and the views name exists."""

import ast
import csv
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import ROOT

ADDONS = os.path.join(ROOT, "odoo_addon")
ADDON = os.path.join(ADDONS, "zoho_connector_core")
# Models of Odoo itself that the addon extends or points at.
ODOO_MODELS = {"res.partner", "res.config.settings", "res.company", "ir.model"}


def manifest():
    with open(os.path.join(ADDON, "__manifest__.py")) as f:
        return ast.literal_eval(f.read())


def python_models():
    """_name of every model the addon defines."""
    names = set()
    for folder, _, files in os.walk(ADDON):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as f:
                    names.update(re.findall(r'^\s+_name = "([a-z_.]+)"', f.read(), re.MULTILINE))
    return names


def xml_files():
    for folder, _, files in os.walk(ADDON):
        for name in files:
            if name.endswith(".xml"):
                yield os.path.join(folder, name)


def test_pylint_odoo_reports_nothing():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--rcfile",
            os.path.join(ADDONS, ".pylintrc"),
            "--disable=import-error",
            "--score=n",
            "zoho_connector_core",
        ],
        cwd=ADDONS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_follows_odoo_17_conventions():
    m = manifest()
    assert m["version"].startswith("17.0.")
    assert set(m["depends"]) >= {"base", "mail"}
    for path in m["data"]:
        assert os.path.isfile(os.path.join(ADDON, path)), path
    listed = set(m["data"])
    for path in xml_files():
        rel = os.path.relpath(path, ADDON)
        assert rel in listed, f"{rel} is not in the manifest's data"
    for path in [
        "README.rst",
        "static/description/icon.png",
        "i18n/zoho_connector_core.pot",
        "security/ir.model.access.csv",
    ]:
        assert os.path.isfile(os.path.join(ADDON, path)), path


def test_every_python_file_compiles():
    for folder, _, files in os.walk(ADDON):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as f:
                    compile(f.read(), name, "exec")


def test_xml_parses_and_names_only_what_exists():
    models = python_models()
    ids = set()
    trees = []
    for path in xml_files():
        tree = ET.parse(path)  # raises on malformed XML
        trees.append((path, tree))
        ids.update(r.get("id") for r in tree.iter() if r.tag in ("record", "menuitem") and r.get("id"))
    for path, tree in trees:
        for record in tree.iter("record"):
            if record.get("model") == "ir.ui.view":
                model = record.find("field[@name='model']").text
                assert model in models | ODOO_MODELS, f"{path}: view of unknown model {model}"
            for field in record.iter("field"):
                if field.get("name") in ("model_id", "binding_model_id") and field.get("ref"):
                    assert field.get("ref") in {"model_" + m.replace(".", "_") for m in models}, (
                        f"{path}: unknown {field.get('ref')}"
                    )
        for menu in tree.iter("menuitem"):
            for attr in ("action", "parent"):
                ref = menu.get(attr)
                if ref and "." not in ref:
                    assert ref in ids, f"{path}: menu {menu.get('id')} names unknown {attr} {ref}"


def test_access_rules_cover_every_concrete_model_with_known_groups():
    models = python_models()
    with open(os.path.join(ADDON, "security", "ir.model.access.csv")) as f:
        rows = list(csv.DictReader(f))
    covered = {row["model_id:id"] for row in rows}
    concrete = {m for m in models if m not in ("zoho.sidecar.model", "zoho.sync.mixin", "res.partner")}
    assert covered == {"model_" + m.replace(".", "_") for m in concrete}
    security = ET.parse(os.path.join(ADDON, "security", "zoho_security.xml"))
    groups = {r.get("id") for r in security.iter("record") if r.get("model") == "res.groups"}
    assert groups == {"group_zoho_user", "group_zoho_manager"}
    assert {row["group_id:id"] for row in rows} <= groups
    # Users only read; the manager changes instances.
    for row in rows:
        if row["group_id:id"] == "group_zoho_user" and row["model_id:id"] != "model_zoho_dashboard":
            assert (row["perm_write"], row["perm_create"], row["perm_unlink"]) == ("0", "0", "0"), row["id"]
    rules = {
        r.find("field[@name='model_id']").get("ref")
        for r in security.iter("record")
        if r.get("model") == "ir.rule"
    }
    assert rules == {
        "model_zoho_instance",
        "model_zoho_job",
        "model_zoho_binding",
        "model_zoho_webhook_event",
        "model_zoho_log",
    }
