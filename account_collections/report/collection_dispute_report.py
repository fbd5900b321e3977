from odoo import api, fields, models
from odoo.tools import SQL

from ..models.collection_dispute import DISPUTE_REASONS
from .collection_effectiveness_report import company_amount

DISPUTE_OUTCOMES = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("credited", "Credited"),
    ("rejected", "Rejected"),
]


class CollectionDisputeReport(models.Model):
    """Disputes analysed: how many, how much, how old and how fast settled, by reason, product
    category, salesperson and outcome.

    One row per opened dispute (drafts are not disputes yet). The product category is the one of
    the disputed invoice's largest product line. *Age* counts the days from opening to settling,
    or to today while open; *Resolution Time* only the settled ones, so its average reads as the
    mean time to settle.
    """

    _name = "collection.dispute.report"
    _description = "Collections Disputes Analysis"
    _auto = False
    _order = "date_open desc, id desc"
    _rec_name = "dispute_id"

    dispute_id = fields.Many2one("collection.dispute", string="Dispute", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    case_id = fields.Many2one("collection.case", string="Case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id", string="Currency")
    reason = fields.Selection(DISPUTE_REASONS, readonly=True)
    outcome = fields.Selection(DISPUTE_OUTCOMES, readonly=True)
    product_category_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    salesperson_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    date_open = fields.Date(string="Opened On", readonly=True)
    date_deadline = fields.Date(string="Settle By", readonly=True)
    date_closed = fields.Date(string="Closed On", readonly=True)
    dispute_count = fields.Integer(string="Disputes", readonly=True)
    overdue_count = fields.Integer(string="Overdue", readonly=True, help="Disputes still open after their deadline.")
    amount = fields.Monetary(string="Disputed Amount", readonly=True)
    age_days = fields.Float(
        string="Age (days)",
        aggregator="avg",
        readonly=True,
        digits=(16, 1),
        help="Days from opening to settling, or to today for open disputes.",
    )
    resolution_days = fields.Float(
        string="Resolution Time (days)",
        aggregator="avg",
        readonly=True,
        digits=(16, 1),
        help="Days from opening to settling, settled disputes only.",
    )

    _depends = {
        "collection.dispute": [
            "state",
            "date_open",
            "date_deadline",
            "date_closed",
            "amount",
            "reason",
            "user_id",
            "invoice_id",
            "case_id",
            "partner_id",
            "company_id",
            "currency_id",
        ],
        "account.move": ["invoice_user_id"],
        "account.move.line": ["product_id", "price_subtotal", "display_type"],
        "product.template": ["categ_id"],
    }

    def _query(self):
        return SQL(
            """
            SELECT d.id, d.id AS dispute_id, d.invoice_id, d.case_id, d.partner_id, d.company_id, d.reason,
                   d.state AS outcome, category.categ_id AS product_category_id,
                   invoice.invoice_user_id AS salesperson_id, d.user_id,
                   d.date_open, d.date_deadline, d.date_closed,
                   1 AS dispute_count,
                   CASE WHEN d.state = 'open' AND d.date_deadline < CURRENT_DATE THEN 1 ELSE 0 END AS overdue_count,
                   %(amount)s AS amount,
                   (COALESCE(d.date_closed, CURRENT_DATE) - d.date_open)::float AS age_days,
                   CASE WHEN d.date_closed IS NOT NULL THEN (d.date_closed - d.date_open)::float END AS resolution_days
              FROM collection_dispute d
              JOIN account_move invoice ON invoice.id = d.invoice_id
              LEFT JOIN LATERAL (
                    SELECT template.categ_id
                      FROM account_move_line line
                      JOIN product_product product ON product.id = line.product_id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE line.move_id = d.invoice_id AND line.display_type = 'product'
                     ORDER BY ABS(line.price_subtotal) DESC, line.id
                     LIMIT 1
              ) category ON TRUE
             WHERE d.state != 'draft' AND d.date_open IS NOT NULL
            """,
            amount=company_amount(SQL("d.amount"), SQL("d.currency_id"), SQL("d.company_id"), SQL("d.date_open")),
        )

    @api.model
    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
