import json

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from .sidecar import call


class ZohoSidecarModel(models.AbstractModel):
    """Records that live in the Zoho sidecar, not in Odoo's database.

    Odoo keeps their fields (for views), access rights and record rules; it has no table for
    them. What the web client and server code call (web_search_read, web_read, web_save,
    read_group, name_search, create, write, unlink, buttons) goes over the sidecar's JSON-RPC
    with the user's companies (allowed_company_ids) and the record rules' domain, so search,
    filters, grouping, paging and sorting work as in any Odoo list.
    """

    _name = "zoho.sidecar.model"
    _description = "Record kept by the Zoho sidecar"
    _log_access = False
    # No table: Odoo's registry checks skip models with a table query, and anything that would
    # still query one finds no rows instead of a missing table.
    _table_query = "SELECT NULL::integer AS id WHERE FALSE"

    # Sidecar JSON lists shown as comma-separated text; sidecar JSON shown as indented text;
    # write-only secrets (never read back, never overwritten by an empty value).
    _sidecar_lists = ()
    _sidecar_json = ()
    _sidecar_secrets = ()

    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    create_date = fields.Datetime("Created on", readonly=True)
    write_date = fields.Datetime("Last Updated on", readonly=True)

    # Values between the sidecar and the web client

    def _sidecar_names(self, names):
        """The fields the sidecar holds among `names` (Odoo-side computed fields are not asked for)."""
        out = []
        for name in names:
            field = self._fields.get(name)
            if name == "display_name" or (field and not field.compute and name != "id"):
                out.append(name)
        return out

    def _sidecar_domain(self, domain, mode="read"):
        """The caller's domain AND the record rules, in terms the sidecar parses."""
        rules = self.env["ir.rule"]._compute_domain(self._name, mode)
        combined = expression.AND([list(domain or []), rules]) if rules else list(domain or [])
        out = []
        for term in combined:
            if isinstance(term, (list, tuple)):
                if tuple(term) == expression.TRUE_LEAF:
                    term = ["id", "!=", 0]
                elif tuple(term) == expression.FALSE_LEAF:
                    term = ["id", "=", 0]
                term = list(term)
            out.append(term)
        return out

    def _company_pair(self, value):
        if isinstance(value, int) and value:
            return [value, self.env["res.company"].sudo().browse(value).display_name]
        return value

    def _to_web(self, row, specification):
        out = {"id": row["id"]}
        for name in specification:
            if name == "id":
                continue
            field = self._fields.get(name)
            value = row.get(name, False)
            if name in self._sidecar_lists:
                value = ", ".join(value or []) or False
            elif name in self._sidecar_json:
                value = (
                    json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
                    if value not in (False, None)
                    else False
                )
            elif field is not None and field.type == "many2one":
                value = self._company_pair(value) if name == "company_id" else value
                value = {"id": value[0], "display_name": value[1]} if value else False
            elif field is not None and field.compute and name != "display_name":
                value = self._sidecar_computed(name, row)
            out[name] = value
        return out

    def _sidecar_computed(self, name, row):
        """Odoo-side fields computed from a sidecar row (e.g. a link to an Odoo record)."""
        return False

    def _to_sidecar(self, vals):
        out = {}
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or field.compute or field.readonly or name == "id":
                continue  # the sidecar sets these itself
            if name in self._sidecar_secrets and not value:
                continue
            if name in self._sidecar_lists:
                value = [part.strip() for part in (value or "").split(",") if part.strip()]
            elif name in self._sidecar_json:
                try:
                    value = json.loads(value) if value else None
                except ValueError as error:
                    raise ValidationError(
                        _("%(field)s is not valid JSON: %(error)s", field=field.string, error=error)
                    ) from None
            elif isinstance(value, models.BaseModel):
                value = value.id
            out[name] = value
        return out

    # The web client's calls

    @api.model
    def web_search_read(self, domain, specification, offset=0, limit=None, order=None, count_limit=None):
        self.check_access_rights("read")
        domain = self._sidecar_domain(domain)
        rows = call(
            self.env,
            self._name,
            "search_read",
            domain,
            self._sidecar_names(specification),
            offset=offset or 0,
            limit=limit,
            order=order or None,
        )
        length = (offset or 0) + len(rows)
        if limit and len(rows) == limit:
            length = call(self.env, self._name, "search_count", domain, limit=count_limit)
        return {"length": length, "records": [self._to_web(row, specification) for row in rows]}

    def web_read(self, specification):
        self.check_access_rights("read")
        ids = [i for i in self.ids if isinstance(i, int)]
        if not ids:
            return []
        rows = {
            row["id"]: row
            for row in call(self.env, self._name, "read", ids, self._sidecar_names(specification))
        }
        return [self._to_web(rows[i], specification) for i in ids if i in rows]

    def web_save(self, vals, specification, next_id=None):
        if self:
            self.write(vals)
            records = self
        else:
            records = self.create(vals)
        if next_id:
            records = self.browse(next_id)
        return records.web_read(specification)

    @api.model
    def web_read_group(self, domain, fields, groupby, limit=None, offset=0, orderby=False, lazy=True):
        groups = self.read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy
        )
        length = len(groups) + (offset or 0)
        if limit and len(groups) == limit:
            length = len(self.read_group(domain, ["__count"], groupby, lazy=lazy))
        return {"groups": groups, "length": length}

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        self.check_access_rights("read")
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        known = []
        for spec in fields or []:
            base = spec.split(":")[0]
            inner = spec.split("(")[-1].rstrip(")") if "(" in spec else base
            if spec == "__count" or (inner in self._fields and not self._fields[inner].compute):
                known.append(spec)
        groups = call(
            self.env,
            self._name,
            "read_group",
            self._sidecar_domain(domain),
            known,
            groupby,
            offset=offset or 0,
            limit=limit,
            orderby=orderby or None,
            lazy=lazy,
        )
        for group in groups:
            for spec in groupby:
                if spec == "company_id":
                    group[spec] = self._company_pair(group.get(spec))
        return groups

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        self.check_access_rights("read")
        found = call(
            self.env, self._name, "name_search", name or "", self._sidecar_domain(args or []), operator, limit
        )
        return [tuple(pair) for pair in found]

    # Server-side code gets the same records. There is no table: these replace the ORM's
    # implementations instead of extending them, hence no super() calls.

    @api.model
    def search_read(self, domain=None, fields=None, offset=0, limit=None, order=None, **read_kwargs):
        self.check_access_rights("read")
        names = self._sidecar_names(fields or list(self._fields))
        return call(
            self.env,
            self._name,
            "search_read",
            self._sidecar_domain(domain),
            names,
            offset=offset or 0,
            limit=limit,
            order=order or None,
        )

    @api.model
    def search_count(self, domain, limit=None):
        self.check_access_rights("read")
        return call(self.env, self._name, "search_count", self._sidecar_domain(domain), limit=limit)

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        self.check_access_rights("read")
        return self.browse(
            call(
                self.env,
                self._name,
                "search",
                self._sidecar_domain(domain),
                offset=offset or 0,
                limit=limit,
                order=order or None,
            )
        )

    def read(self, fields=None, load="_classic_read"):  # pylint: disable=method-required-super
        self.check_access_rights("read")
        return (
            call(self.env, self._name, "read", self.ids, self._sidecar_names(fields or list(self._fields)))
            if self
            else []
        )

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        self.check_access_rights("create")
        vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
        ids = call(self.env, self._name, "create", [self._to_sidecar(vals) for vals in vals_list])
        return self.browse(ids)

    def write(self, vals):  # pylint: disable=method-required-super
        self.check_access_rights("write")
        if self:
            call(self.env, self._name, "write", self.ids, self._to_sidecar(vals))
        return True

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access_rights("unlink")
        if self:
            call(self.env, self._name, "unlink", self.ids)
        return True

    def _sidecar_action(self, method, *args):
        """A button: the sidecar's method of the same name on these records."""
        return call(self.env, self._name, method, self.ids, *args)

    @staticmethod
    def _notify(title, message, kind="success", sticky=False, reload=False):
        action = {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": sticky},
        }
        if reload:
            action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return action
