from odoo import api, fields, models
from odoo.exceptions import UserError

HANDOVER_WARNINGS = [
    ("time_barred", "Time-barred"),
    ("disputed", "Disputed"),
    ("promise", "Promise to pay"),
    ("plan", "Payment plan"),
    ("blocked", "Excluded from dunning"),
    ("not_due", "Not due yet"),
]


class CollectionAgencyHandoverLine(models.TransientModel):
    """One invoice of the handover preview."""

    _name = "collection.agency.handover.line"
    _description = "Agency Handover Preview Line"
    _order = "case_id, id"

    wizard_id = fields.Many2one("collection.agency.handover", required=True, ondelete="cascade")
    case_id = fields.Many2one("collection.case", readonly=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    invoice_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True)
    invoice_date_due = fields.Date(related="invoice_id.invoice_date_due", string="Due Date")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount_placed = fields.Monetary(string="Amount to Place", readonly=True)
    warning = fields.Selection(HANDOVER_WARNINGS, readonly=True)
    warning_message = fields.Char(string="Why Excluded", readonly=True)
    include = fields.Boolean(string="Place")

    @api.onchange("include")
    def _onchange_include(self):
        if self.include and self.warning == "time_barred":
            self.include = False
            return {
                "warning": {
                    "title": self.env._("Time-barred debt"),
                    "message": self.env._(
                        "%(invoice)s is time-barred: the statute of limitations has run out, it cannot be "
                        "handed to an agency.",
                        invoice=self.invoice_id.display_name,
                    ),
                }
            }

    @api.constrains("include", "warning")
    def _check_time_barred(self):
        barred = self.filtered(lambda line: line.include and line.warning == "time_barred")
        if barred:
            raise UserError(
                self.env._(
                    "%(invoices)s: time-barred debts can never be handed to an agency (statute of limitations).",
                    invoices=", ".join(barred.invoice_id.mapped("display_name")),
                )
            )
