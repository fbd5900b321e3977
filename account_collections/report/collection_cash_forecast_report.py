from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.expected_dates import FORECAST_MOVE_TYPES, OPEN_PAYMENT_STATES


class CollectionCashForecastReport(models.Model):
    """The cash-in forecast: one row per open customer invoice, on the date it is expected to be paid.

    The expected payment date and its source are those the daily run set on the invoice
    (``account.move.collection_expected_base_date``); a date already past counts today, an invoice
    posted since the last run counts on its due date (today if past). Amounts are the open
    amounts in company currency. Today is the database's current date (UTC).
    """

    _name = "collection.cash.forecast.report"
    _description = "Cash Forecast"
    _auto = False
    _order = "expected_date, id"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    case_id = fields.Many2one("collection.case", string="Case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id", string="Currency")
    source = fields.Selection(
        [
            ("promise", "Promise to pay"),
            ("plan", "Payment plan"),
            ("settlement", "Settlement offer"),
            ("behaviour", "Payment behaviour"),
        ],
        readonly=True,
    )
    expected_date = fields.Date(string="Expected Payment", readonly=True)
    due_date = fields.Date(readonly=True)
    amount = fields.Monetary(string="Expected Amount", readonly=True)

    _depends = {
        "account.move": [
            "collection_expected_base_date",
            "collection_expected_source",
            "collection_case_id",
            "commercial_partner_id",
            "company_id",
            "move_type",
            "state",
            "payment_state",
            "invoice_date_due",
            "amount_residual_signed",
        ],
        "collection.case": ["user_id"],
    }

    def _query(self):
        return SQL(
            """
            SELECT m.id, m.id AS move_id, m.commercial_partner_id AS partner_id, c.user_id,
                   m.collection_case_id AS case_id, m.company_id,
                   COALESCE(m.collection_expected_source, 'behaviour') AS source,
                   GREATEST(CURRENT_DATE, COALESCE(m.collection_expected_base_date,
                                                   m.invoice_date_due, m.invoice_date)) AS expected_date,
                   m.invoice_date_due AS due_date,
                   m.amount_residual_signed AS amount
              FROM account_move m
              LEFT JOIN collection_case c ON c.id = m.collection_case_id
             WHERE m.move_type IN %(types)s AND m.state = 'posted' AND m.payment_state IN %(open)s
            """,
            types=FORECAST_MOVE_TYPES,
            open=OPEN_PAYMENT_STATES,
        )

    @api.model
    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
