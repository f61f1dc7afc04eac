import json
import logging
from collections.abc import Set as AbstractSet
from datetime import date, datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .sidecar import call

_logger = logging.getLogger(__name__)

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

    A One2many between two such models (a mapping's field pairs) is read by searching the
    comodel on the inverse field, and web_save's commands on it become the comodel's create,
    write and unlink.

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
    _sidecar_json_indent = 2
    _sidecar_secrets = ()

    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    create_date = fields.Datetime("Created on", readonly=True)
    write_date = fields.Datetime("Last Updated on", readonly=True)

    # Values between the sidecar and the web client

    def _sidecar_names(self, names):
        """The fields the sidecar holds among `names` (Odoo-side computed fields and One2many are not
        asked for: the sidecar has no column for them)."""
        out = []
        for name in names:
            field = self._fields.get(name)
            if name == "display_name" or (
                field and not field.compute and name != "id" and not _x2many(field)
            ):
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
            if field is not None and _x2many(field):
                value = row.get(name, [])  # filled by _sidecar_rows
            elif field is not None and field.compute and name != "display_name":
                value = self._sidecar_computed(name, row)
            elif name in self._sidecar_lists:
                value = ", ".join(value or []) or False
            elif name in self._sidecar_json:
                value = (
                    json.dumps(value, indent=self._sidecar_json_indent, ensure_ascii=False, sort_keys=True)
                    if value not in (False, None)
                    else False
                )
            elif field is not None and field.type == "many2one":
                value = self._company_pair(value) if name == "company_id" else value
                value = {"id": value[0], "display_name": value[1]} if value else False
            out[name] = value
        return out

    def _sidecar_computed(self, name, row):
        """Odoo-side fields computed from a sidecar row (e.g. a link to an Odoo record)."""
        return False

    def _sidecar_rows(self, rows, specification):
        """Completes the sidecar's rows with what is not a column of theirs: each One2many's records,
        as ids, or as the comodel's web_read of the sub-specification (the first `limit` of them,
        the others as {"id": id}, as the ORM's web_read gives them)."""
        for name, spec in specification.items():
            field = self._fields.get(name)
            if field is None or field.type != "one2many":
                continue
            spec = spec or {}
            children = self._sidecar_children(field, [row["id"] for row in rows], spec.get("order"))
            if not spec.get("fields"):
                for row in rows:
                    row[name] = children.get(row["id"], [])
                continue
            limit = spec.get("limit")
            shown = [i for row in rows for i in children.get(row["id"], [])[:limit]]
            comodel = self.env[field.comodel_name].with_context(**spec.get("context", {}))
            values = {v["id"]: v for v in comodel.browse(shown).web_read(spec["fields"])} if shown else {}
            for row in rows:
                row[name] = [values.get(i) or {"id": i} for i in children.get(row["id"], [])]
        return rows

    def _sidecar_children(self, field, ids, order=None):
        """{parent id: [child ids]} of a One2many, in the comodel's order (or the one asked)."""
        comodel = self.env[field.comodel_name]
        found = comodel.search_read([(field.inverse_name, "in", ids)], [field.inverse_name], order=order)
        children = {}
        for child in found:
            parent = child[field.inverse_name]
            parent = parent[0] if isinstance(parent, (list, tuple)) else parent
            children.setdefault(parent, []).append(child["id"])
        return children

    def _to_sidecar(self, vals):
        out = {}
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or field.compute or field.readonly or name == "id" or _x2many(field):
                continue  # the sidecar sets these itself; x2many commands are applied apart
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
        rows = self._sidecar_rows(rows, specification)
        return {"length": length, "records": [self._to_web(row, specification) for row in rows]}

    def web_read(self, specification):
        self._sidecar_check("read")
        ids = [i for i in self.ids if isinstance(i, int)]
        if not ids:
            return []
        found = call(self.env, self._name, "read", ids, self._sidecar_names(specification))
        rows = {row["id"]: row for row in self._sidecar_rows(found, specification)}
        return [self._to_web(rows[i], specification) for i in ids if i in rows]

    def onchange(self, values, field_names, fields_spec):
        """The values of a new record (the form's first call): its defaults, in web_read's format.

        The ORM's onchange builds the record, and for a new line of a One2many its parent too,
        from its row in a table, which these models do not have. They need none of it: no
        onchange methods, and computed fields the sidecar fills, so a change of one field
        changes no other.
        """
        if field_names:
            return {"value": {}}
        names = [name for name in fields_spec if name != "id" and name in self._fields and name not in values]
        defaults = self.default_get(names)
        out = {}
        for name in names:
            field = self._fields[name]
            value = defaults.get(name, False)
            if field.type in ("one2many", "many2many"):
                value = []
            elif field.type == "many2one":
                record = self.env[field.comodel_name].browse(value) if value else None
                if record and (fields_spec[name] or {}).get("fields"):
                    value = {"id": record.id, "display_name": record.sudo().display_name}
            elif field.type in ("integer", "float", "monetary"):
                value = value or 0
            out[name] = value
        return {"value": out}

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
        if not self:
            return []
        names = fields or list(self._fields)
        rows = call(self.env, self._name, "read", self.ids, self._sidecar_names(names))
        one2many = {
            name: {} for name in names if name in self._fields and self._fields[name].type == "one2many"
        }
        return self._sidecar_rows(rows, one2many) if one2many else rows

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        self._sidecar_check("create")
        vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
        split = [self._sidecar_split(vals) for vals in vals_list]
        records = self.browse(
            call(self.env, self._name, "create", [self._to_sidecar(own) for own, _ in split])
        )
        try:
            for record, (_own, commands) in zip(records, split, strict=True):
                for name, field_commands in commands.items():
                    record._sidecar_x2many(name, field_commands)
        except Exception:
            # All or nothing, as one Odoo create: the record goes with the lines the sidecar refused.
            records._sidecar_forget()
            raise
        return records

    def write(self, vals):  # pylint: disable=method-required-super
        self._sidecar_check("write")
        own, commands = self._sidecar_split(vals)
        if self and (own or not commands):
            call(self.env, self._name, "write", self.ids, self._to_sidecar(own))
        for name, field_commands in commands.items():
            self._sidecar_x2many(name, field_commands)
        return True

    def _sidecar_split(self, vals):
        """(the values the sidecar keeps, {x2many field: its commands})."""
        own, commands = {}, {}
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is not None and field.type == "one2many":
                commands[name] = list(value or [])
            else:
                own[name] = value
        return own, commands

    def _sidecar_x2many(self, name, commands):
        """Applies web_save's commands on a One2many of these records as the comodel's own unlink,
        write and create, in their order, the creations last and in one call (so a line the
        sidecar refuses leaves none of them). Lines already gone are not deleted twice: a save the
        sidecar refused halfway can be sent again as it was."""
        field = self._fields[name]
        comodel = self.env[field.comodel_name]
        inverse = field.inverse_name
        # A line cannot exist without its parent (required, or deleted with it): removing it deletes it.
        owned = comodel._fields[inverse].required or comodel._fields[inverse].ondelete == "cascade"
        creations = []

        def remove(ids):
            if not ids:
                return
            existing = comodel.with_context(active_test=False).search([("id", "in", list(ids))])
            if owned:
                existing.unlink()
            else:
                existing.write({inverse: False})

        for command in commands:
            code, record_id, value = (list(command) + [False, False])[:3]
            if code == 0:
                creations.append(value or {})
            elif code == 1:
                comodel.browse(record_id).write(value or {})
            elif code in (2, 3):
                remove([record_id])
            elif code == 4:
                comodel.browse(record_id).write({inverse: self[-1:].id})
            elif code in (5, 6):
                current = self._sidecar_children(field, self.ids)
                keep = set(value or []) if code == 6 else set()
                remove({i for ids in current.values() for i in ids} - keep)
                if keep:
                    comodel.browse(sorted(keep)).write({inverse: self[-1:].id})
            else:
                raise ValidationError(
                    _("Unknown command %(code)s on %(field)s.", code=code, field=field.string)
                )
        if creations:
            comodel.create([dict(vals, **{inverse: record.id}) for record in self for vals in creations])

    def _sidecar_forget(self):
        """Undoes a creation the sidecar took while a later step of the same save failed."""
        try:
            call(self.env, self._name, "unlink", self.ids)
        except UserError as error:
            _logger.warning("Zoho sidecar: %s %s could not be removed: %s", self._name, self.ids, error)

    def unlink(self):  # pylint: disable=method-required-super
        self._sidecar_check("unlink")
        if self:
            call(self.env, self._name, "unlink", self.ids)
        return True

    def action_archive(self):
        return self.write({"active": False})

    def action_unarchive(self):
        return self.write({"active": True})

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


def _x2many(field):
    return field.type in ("one2many", "many2many")
