"""The dashboard's figures as links: each number opens the list it counts.

A figure is an <a> (or an SVG <a>) carrying the window action of its list in `data-zoho-list` and
the number shown in `data-zoho-count`; static/src/zoho_dashboard/zoho_dashboard_links.js opens the
action on click. The tests count each action's domain and compare it with `data-zoho-count`.
"""

import json

from markupsafe import Markup

from odoo.release import version_info

# 18 renamed the list view type from "tree" to "list".
LIST_VIEW = "tree" if version_info[0] < 18 else "list"


def list_action(name, model, domain):
    """The window action that shows `domain` of `model` as a list."""
    return {
        "type": "ir.actions.act_window",
        "name": name,
        "res_model": model,
        "domain": domain,
        "views": [[False, LIST_VIEW], [False, "form"]],
        "target": "current",
    }


def attributes(name, model, domain, count):
    """The data attributes of a link to `domain` of `model`, which holds `count` records."""
    return Markup(" data-zoho-list='%s' data-zoho-count='%d'") % (
        json.dumps(list_action(name, model, domain)),
        count,
    )


def link(count, name, model, domain, css=""):
    """`count` as a link to its list; a zero stays a link too, to show the list is empty."""
    return Markup("<a href='#' class='o_zoho_figure %s'%s>%d</a>") % (
        css,
        attributes(name, model, domain, count),
        count,
    )


def instance_leaf(instance_id):
    """The domain leaf of one instance's records; False is the jobs without an instance."""
    return ("instance_id", "=", instance_id or False)
