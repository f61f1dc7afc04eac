from odoo import fields, models

DIRECTIONS = [("both", "Both ways"), ("to_zoho", "Odoo → Zoho"), ("to_odoo", "Zoho → Odoo")]
TRANSFORMS = [
    ("plain", "Same value"),
    ("name_split", "Name ↔ first and last name"),
    ("selection", "Value table"),
    ("country", "Country ↔ name"),
    ("html", "HTML ↔ text"),
    ("lookup", "Lookup through another mapping"),
]


class ZohoMappingField(models.Model):
    """One field pair of a mapping: an Odoo field and the Zoho field(s) it corresponds to."""

    _name = "zoho.mapping.field"
    _inherit = "zoho.sidecar.model"
    _description = "Zoho Mapping Field Pair"
    _auto = False
    _order = "mapping_id, sequence, id"
    _sidecar_json = ("options",)
    _sidecar_json_indent = None

    mapping_id = fields.Many2one("zoho.mapping", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    odoo_field = fields.Char(required=True, help="The Odoo field's technical name, e.g. email.")
    zoho_fields = fields.Char(
        "Zoho Field(s)",
        required=True,
        help="Zoho's API names, comma-separated: two for the name split (first, last).",
    )
    direction = fields.Selection(DIRECTIONS, default="both")
    transform = fields.Selection(TRANSFORMS, default="plain")
    options = fields.Text(
        default="{}",
        help='The transform\'s options: {"values": {"odoo value": "Zoho value"}} for a value table, '
        '{"mapping": "crm_accounts"} for a lookup.',
    )
    odoo_until = fields.Integer(
        "Until Odoo", help="The last Odoo series whose model has the field, e.g. 18 (0: every series)."
    )
    odoo_from_parent = fields.Boolean(
        "From Parent", help="Odoo copies the field from a contact's company: not synced on such contacts."
    )

    def _to_sidecar(self, vals):
        out = super()._to_sidecar(vals)
        if "odoo_until" in out and not out["odoo_until"]:
            # Empty, every series: the sidecar would keep a 0 as "until Odoo 0" and leave the pair out.
            out["odoo_until"] = False
        return out
