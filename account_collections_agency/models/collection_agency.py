from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionAgency(models.Model):
    _name = "collection.agency"
    _description = "Collection Agency"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Agency Contact",
        required=True,
        tracking=True,
        help="The agency as a partner: placement files are emailed to it, and its invoices are paid to it.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    agency_type = fields.Selection(
        [("collection", "Collection Agency"), ("legal", "Law Firm")],
        required=True,
        default="collection",
        tracking=True,
        help="Cases placed with a law firm move to the Legal stage instead of At Agency.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Placement Email",
        domain=[("model", "=", "collection.agency.placement")],
        default=lambda self: self.env.ref(
            "account_collections_agency.mail_template_placement", raise_if_not_found=False
        ),
        help="Email sent to the agency contact with the placement file attached.",
    )
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        tracking=True,
        help="Share of every recovered amount the agency keeps.",
    )
    export_format = fields.Selection(
        [("csv", "CSV"), ("json", "JSON"), ("xlsx", "Excel (XLSX)")],
        required=True,
        default="csv",
        tracking=True,
    )
    include_fields = fields.Many2many(
        "collection.agency.column",
        string="Columns Sent",
        default=lambda self: self.env["collection.agency.column"].search([]),
        help="Only these columns of the placement file are sent to the agency (data minimisation).",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Portal Users",
        domain=[("share", "=", True)],
        help="Agency staff who see this agency's placements on the portal and post updates.",
    )
    note = fields.Html(string="Notes")

    @api.constrains("commission_rate")
    def _check_commission_rate(self):
        for agency in self.filtered(lambda a: not 0 <= a.commission_rate <= 100):
            raise ValidationError(
                self.env._(
                    "The commission of agency %(agency)s must be between 0 and 100 %%.",
                    agency=agency.name,
                )
            )
