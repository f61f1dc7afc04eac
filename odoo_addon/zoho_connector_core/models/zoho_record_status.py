"""Zoho on every synced record: what the status line on a form asks, and what its buttons do.

The sidecar answers for many records of one model in one call (``zoho.binding.record_status``):
their Zoho records with a link into Zoho's web app, the last sync, and the latest sync job or
refusal still in the way. A sidecar that is down or slow must not cost the user the form: the
call has a short timeout, and its failure is an answer ("status unavailable"), not an error.
"""

import logging

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from ..sidecar_client import SidecarError
from .sidecar import cached_client, call, settings, sidecar_context

_logger = logging.getLogger(__name__)

# Seconds the status line waits for the sidecar before saying the status is unavailable.
STATUS_TIMEOUT = 2.0
USER_GROUP = "zoho_connector_core.group_zoho_user"
MANAGER_GROUP = "zoho_connector_core.group_zoho_manager"
MODULE = "zoho_connector_core"
FILTERS = (("not_in_zoho", "Not in Zoho"), ("failed", "Zoho sync failed"))
FILTER = '<filter name="zoho_%s" string="%s" domain="[(\'zoho_sync_state\', \'=\', \'%s\')]" groups="%s"/>'


class ZohoRecordStatus(models.AbstractModel):
    _name = "zoho.record.status"
    _description = "Zoho sync: the status of synced Odoo records"

    @api.model
    def get_status(self, model, ids):
        """The status of each of `ids` (the ones the user may read), by id as text, with what the user
        may do; {"available": False, "message": ...} when the sidecar cannot say."""
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(_("Only Zoho Connector users see the Zoho status of records."))
        visible = self._visible(model, ids)
        answer = {"available": True, "can_manage": self.env.user.has_group(MANAGER_GROUP), "records": {}}
        if not visible:
            return answer
        url, api_key = settings(self.env)
        if not url:
            return {"available": False, "message": _("The Zoho sidecar is not configured.")}
        try:
            client = cached_client(url, api_key, timeout=STATUS_TIMEOUT)
            answer["records"] = client.execute(
                "zoho.binding", "record_status", model, visible, context=sidecar_context(self.env)
            )
        except SidecarError as error:
            # Expected while the sidecar is stopped: the user sees "status unavailable", not an error.
            _logger.info(
                "Zoho sidecar: the status of %s records could not be read (%s)", model, error.message
            )
            return {"available": False, "message": error.message}
        return answer

    @api.model
    def action_sync_now(self, model, record_id):
        """Queues a push of one record to every instance that maps its model (managers)."""
        self._check_manager()
        visible = self._visible(model, [record_id])
        if not visible:
            raise UserError(_("This record does not exist or you cannot see it."))
        jobs = call(self.env, "zoho.job", "enqueue_push", model, visible, "write", [], {})
        if not jobs:
            raise UserError(_("No active Zoho mapping syncs this kind of record: nothing was queued."))
        return len(jobs)

    @api.model
    def action_unlink(self, binding_id):
        """Forgets the link to one Zoho record (managers); both records stay as they are."""
        self._check_manager()
        self.env["zoho.binding"].browse(int(binding_id)).unlink()
        return True

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only Zoho Connector managers can sync or unlink records."))

    @api.model
    def _visible(self, model, ids):
        """The ids among `ids` of records of `model` the user may read (access rights and rules)."""
        if model not in self.env or self.env[model]._abstract:
            raise UserError(_("There is no model %s in this Odoo.", model))
        ids = [i for i in ids if isinstance(i, int)]
        records = self.env[model].with_context(active_test=False)
        records = records.search([("id", "in", ids)]) if ids else records
        return records.ids

    # The views: the status line on each synced model's form, the filters on its search view.

    @api.model
    def _zoho_views(self, names):
        """Adds the status line, the filters and an optional Zoho Sync column to the default form,
        search and list views of the models in `names`, and takes them off the other models. Kept
        under this module's name (noupdate), so an upgrade keeps them and an uninstall removes them."""
        data = self.env["ir.model.data"].sudo()
        kept = data.search(
            [("module", "=", MODULE), ("model", "=", "ir.ui.view"), ("name", "=like", "zoho_status_%")]
        )
        wanted = {}
        for name in names:
            for view_type in ("form", "search", "list"):
                wanted[self._zoho_view_name(name, view_type)] = (name, view_type)
        present = set(kept.mapped("name"))
        for entry in kept:
            if entry.name not in wanted:
                # The view's external id goes with it.
                self.env["ir.ui.view"].sudo().browse(entry.res_id).exists().unlink()
                entry.exists().unlink()
        for xml_name, (name, view_type) in sorted(wanted.items()):
            if xml_name not in present:
                self._zoho_add_view(xml_name, name, view_type)

    @staticmethod
    def _zoho_view_name(model, view_type):
        return "zoho_status_%s_%s" % (view_type, model.replace(".", "_"))

    @api.model
    def _zoho_add_view(self, xml_name, model, view_type):
        if model not in self.env or not self.env[model]._auto:
            return
        views = self.env["ir.ui.view"].sudo()
        if view_type == "list" and "tree" in dict(views._fields["type"].selection):
            view_type = "tree"  # 17's name of the list view
        # The view Odoo opens when none is named: the primary one of lowest priority.
        parent = views.browse(views.default_view(model, view_type))
        if not parent:
            return  # Odoo draws a default view, which cannot be inherited
        if view_type == "form":
            # Above the sheet, under the status bar; a form without a sheet gets it at its end.
            has_sheet = "<sheet" in self.env[model].get_view(parent.id, "form")["arch"]
            where = (
                '<xpath expr="//sheet" position="before">'
                if has_sheet
                else '<xpath expr="/form" position="inside">'
            )
            inner = '<widget name="zoho_record_status" groups="%s"/>' % USER_GROUP
        elif view_type == "search":
            where = '<xpath expr="/search" position="inside">'
            inner = "".join(FILTER % (state, label, state, USER_GROUP) for state, label in FILTERS)
        else:
            # Hidden until a user shows it: a shown column asks the sidecar for each page (in one call).
            where = '<xpath expr="/*" position="inside">'
            inner = '<field name="zoho_sync_state" optional="hide" groups="%s"/>' % USER_GROUP
        arch = "<data>%s%s</xpath></data>" % (where, inner)
        try:
            with self.env.cr.savepoint():
                view = views.create(
                    {
                        "name": "%s.zoho.status.%s" % (model, view_type),
                        "model": model,
                        "inherit_id": parent.id,
                        "arch": arch,
                    }
                )
                self.env["ir.model.data"].sudo().create(
                    {
                        "module": MODULE,
                        "name": xml_name,
                        "model": "ir.ui.view",
                        "res_id": view.id,
                        "noupdate": True,
                    }
                )
        except (UserError, ValueError) as error:
            # A form Odoo cannot extend this way must not stop the list of forwarded models.
            _logger.warning(
                "Zoho: the Zoho status could not be added to the %s view of %s: %s", view_type, model, error
            )
