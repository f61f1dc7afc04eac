import json
from collections.abc import Set as AbstractSet
from datetime import date, datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .sidecar import call

# The always-true and always-false leaves of Odoo's domains (what 19's Domain.TRUE and Domain.FALSE
# iterate to).
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)


def _json_value(value):
    """A domain's value as the sidecar reads it: 19's domains carry sets, tuples and datetimes."""
    if isinstance(value, models.BaseModel):
        return value.ids
    if isinstance(value, datetime):
        return fields.Datetime.to_string(value)
    if isinstance(value, date):
        return fields.Date.to_string(value)
    if isinstance(value, (list, tuple, AbstractSet)):
        return [_json_value(item) for item in value]
    return value


class ZohoSidecarModel(models.AbstractModel):
    """Records that live in the Zoho sidecar, not in Odoo's database.

    Odoo keeps their fields (for views), access rights and record rules; it has no table for
    them. What the web client and server code call (web_search_read, web_read, web_save,
    read_group, formatted_read_group, name_search, create, write, unlink, buttons) goes over the
    sidecar's JSON-RPC with the user's companies (allowed_company_ids) and the record rules'
    domain, so search, filters, grouping, paging and sorting work as in any Odoo list.

    One implementation serves Odoo 17, 18 and 19: where a series calls a method with other
    arguments (name_search's domain, web_read_group's), the override takes both forms or
    leaves the series' own method to call the ones here.
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

    def _sidecar_check(self, operation):
        """The user's access rights to the model (ir.model.access); the sidecar applies the rules.

        The ORM's own checks (17's check_access_rights, 18's check_access) would also look for
        the records in a table; the access rights are the same ir.model.access in every series.
        """
        self.env["ir.model.access"].check(self._name, operation)

    def _sidecar_domain(self, domain, mode="read"):
        """The caller's domain AND the record rules, in terms the sidecar parses.

        Both are prefix-notation domains, so one after the other is their conjunction. They come
        as lists (17, 18) or as 19's Domain objects, which iterate to the same prefix notation
        and are false when they match everything.
        """
        rules = self.env["ir.rule"]._compute_domain(self._name, mode)
        return [self._sidecar_term(term) for term in [*(domain or []), *(rules or [])]]

    @staticmethod
    def _sidecar_term(term):
        if isinstance(term, str):
            return term  # an operator: '&', '|', '!'
        term = tuple(term)
        if term == TRUE_LEAF:
            return ["id", "!=", 0]
        if term == FALSE_LEAF:
            return ["id", "=", 0]
        field, operator, value = term
        return [field, operator, _json_value(value)]

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
        self._sidecar_check("read")
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
        self._sidecar_check("read")
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

    # Grouping. The sidecar's read_group groups (in UTC for dates, with their own domains); each
    # series' web_read_group is Odoo's own and asks the methods below: 17 and 18 read_group and
    # _read_group (the number of groups), 19 formatted_read_group, _read_group and search.

    def _sidecar_read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=None, lazy=True):
        self._sidecar_check("read")
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
            orderby=self._sidecar_group_order(orderby, groupby),
            lazy=lazy,
        )
        for group in groups:
            for spec in groupby:
                if spec == "company_id":
                    group[spec] = self._company_pair(group.get(spec))
        return groups

    @staticmethod
    def _sidecar_group_order(order, groupby):
        """An order of groups as the sidecar takes it: group-bys, aggregates by field, __count."""
        if not order:
            return None
        parts = []
        for part in order.split(","):
            words = part.split()
            if not words:
                continue
            key = words[0] if words[0] in groupby else words[0].split(":")[0]
            parts.append(" ".join([key, *words[1:2]]))
        return ", ".join(parts) or None

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """17 and 18's web client: grouped lists (through web_read_group) and graphs."""
        return self._sidecar_read_group(domain, fields, groupby, offset, limit, orderby, lazy)

    @api.model
    def formatted_read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        """19's web client: grouped lists (through web_read_group) and graphs."""
        groups = self._sidecar_groups(domain, groupby, aggregates, having, offset, limit, order)
        return [self._formatted_group(group, groupby, aggregates) for group in groups]

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        """The ORM's grouping, as tuples of values (e.g. web_read_group counting the groups)."""
        groups = self._sidecar_groups(domain, groupby, aggregates, having, offset, limit, order)
        return [
            tuple(
                [self._group_value(spec, group) for spec in groupby]
                + [self._group_aggregate(spec, group) for spec in aggregates]
            )
            for group in groups
        ]

    def _sidecar_groups(self, domain, groupby, aggregates, having, offset, limit, order):
        if having:
            raise UserError(_("Records kept by the Zoho sidecar cannot be filtered on their aggregates."))
        measures = [spec for spec in aggregates if spec != "__count"]  # the sidecar always counts
        return self._sidecar_read_group(domain, measures, groupby, offset, limit, order, lazy=False)

    @staticmethod
    def _group_aggregate(spec, group):
        return group["__count"] if spec == "__count" else group.get(spec.split(":")[0], False)

    def _group_value(self, spec, group):
        """A group's value as the ORM has it: a record, the period's start, or the plain value."""
        field = self._fields[spec.split(":")[0]]
        value = group.get(spec, False)
        bounds = group.get("__range", {}).get(spec)
        if bounds:
            return fields.Datetime.to_datetime(bounds["from"])
        if field.type == "many2one":
            return self.env[field.comodel_name].browse(value[0] if value else ())
        return value

    def _formatted_group(self, group, groupby, aggregates):
        """A group as 19's formatted_read_group gives it, with the sidecar's labels and bounds."""
        out = {"__extra_domain": []}
        for spec in groupby:
            name = spec.split(":")[0]
            value = group.get(spec, False)
            bounds = group.get("__range", {}).get(spec)
            if bounds:
                out[spec] = (bounds["from"], value)
                out["__extra_domain"] += ["&", (name, ">=", bounds["from"]), (name, "<", bounds["to"])]
            elif self._fields[name].type == "many2one":
                out[spec] = tuple(value) if value else False
                out["__extra_domain"].append((name, "=", value[0] if value else False))
            else:
                out[spec] = value
                out["__extra_domain"].append((name, "=", value))
        for spec in aggregates:
            out[spec] = self._group_aggregate(spec, group)
        return out

    @api.model
    def name_search(self, name="", domain=None, operator="ilike", limit=100, args=None):
        """17 and 18 call the domain `args`, 19 `domain`; both come second when positional."""
        self._sidecar_check("read")
        domain = args if domain is None else domain
        found = call(
            self.env,
            self._name,
            "name_search",
            name or "",
            self._sidecar_domain(domain or []),
            operator,
            limit,
        )
        return [tuple(pair) for pair in found]

    def _compute_display_name(self):
        """Names from the sidecar (19's web_name_search and group labels read display_name)."""
        kept = self.filtered(lambda record: isinstance(record.id, int))
        names = {row["id"]: row["display_name"] for row in kept.read(["display_name"])} if kept else {}
        for record in kept:
            record.display_name = names.get(record.id, False)
        return super(ZohoSidecarModel, self - kept)._compute_display_name()

    # Server-side code gets the same records. There is no table: these replace the ORM's
    # implementations instead of extending them, hence no super() calls.

    @api.model
    def search_read(self, domain=None, fields=None, offset=0, limit=None, order=None, **read_kwargs):
        self._sidecar_check("read")
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
        self._sidecar_check("read")
        return call(self.env, self._name, "search_count", self._sidecar_domain(domain), limit=limit)

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        self._sidecar_check("read")
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
        self._sidecar_check("read")
        return (
            call(self.env, self._name, "read", self.ids, self._sidecar_names(fields or list(self._fields)))
            if self
            else []
        )

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        self._sidecar_check("create")
        vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
        ids = call(self.env, self._name, "create", [self._to_sidecar(vals) for vals in vals_list])
        return self.browse(ids)

    def write(self, vals):  # pylint: disable=method-required-super
        self._sidecar_check("write")
        if self:
            call(self.env, self._name, "write", self.ids, self._to_sidecar(vals))
        return True

    def unlink(self):  # pylint: disable=method-required-super
        self._sidecar_check("unlink")
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
