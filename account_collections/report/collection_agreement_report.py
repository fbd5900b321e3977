from odoo import api, fields, models
from odoo.tools import SQL

from .collection_effectiveness_report import company_amount

AGREEMENT_OUTCOMES = [
    ("open", "Running"),
    ("kept", "Kept / Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]


class CollectionAgreementReport(models.Model):
    """Promises to pay and payment plans side by side: kept vs broken, completion rate.

    One row per confirmed promise and per activated plan. A promise *kept* and a plan
    *completed* are both outcome Kept / Completed. The *Kept (%)* measure averages over the
    settled agreements only (kept or broken), so it reads as the promise keeping rate for
    promises and the plan completion rate for plans.
    """

    _name = "collection.agreement.report"
    _description = "Collections Promises and Plans Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "case_id"

    kind = fields.Selection([("promise", "Promise to Pay"), ("plan", "Payment Plan")], readonly=True)
    date = fields.Date(string="Agreed On", readonly=True)
    close_date = fields.Date(string="Ended On", readonly=True)
    case_id = fields.Many2one("collection.case", string="Case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    outcome = fields.Selection(AGREEMENT_OUTCOMES, readonly=True)
    agreement_count = fields.Integer(string="Agreements", readonly=True)
    kept_count = fields.Integer(string="Kept / Completed", readonly=True)
    broken_count = fields.Integer(string="Broken", readonly=True)
    open_count = fields.Integer(string="Running", readonly=True)
    kept_rate = fields.Float(string="Kept (%)", aggregator="avg", readonly=True, digits=(16, 1))
    amount = fields.Monetary(string="Amount Agreed", readonly=True)

    _depends = {
        "collection.promise": ["state", "confirm_date", "close_date", "amount", "case_id", "user_id"],
        "collection.payment.plan": ["state", "activation_date", "end_date", "amount_total", "case_id", "user_id"],
    }

    def _query(self):
        return SQL(
            """
            WITH agreement AS (
                SELECT pr.id * 2 AS id, 'promise' AS kind, pr.id AS res_id, pr.confirm_date AS date,
                       pr.close_date, pr.case_id, pr.partner_id, pr.company_id, pr.currency_id, pr.user_id,
                       pr.amount,
                       CASE pr.state WHEN 'open' THEN 'open' WHEN 'kept' THEN 'kept'
                                     WHEN 'broken' THEN 'broken' ELSE 'cancelled' END AS outcome
                  FROM collection_promise pr
                 WHERE pr.state != 'draft'
                 UNION ALL
                SELECT pl.id * 2 + 1, 'plan', pl.id, pl.activation_date, pl.end_date, pl.case_id, pl.partner_id,
                       pl.company_id, pl.currency_id, pl.user_id, pl.amount_total,
                       CASE pl.state WHEN 'active' THEN 'open' WHEN 'completed' THEN 'kept'
                                     WHEN 'broken' THEN 'broken' ELSE 'cancelled' END
                  FROM collection_payment_plan pl
                 WHERE pl.state != 'draft'
            )
            SELECT a.id, a.kind,
                   a.date, a.close_date, a.case_id, a.partner_id, a.company_id, a.user_id, a.outcome,
                   1 AS agreement_count,
                   CASE WHEN a.outcome = 'kept' THEN 1 ELSE 0 END AS kept_count,
                   CASE WHEN a.outcome = 'broken' THEN 1 ELSE 0 END AS broken_count,
                   CASE WHEN a.outcome = 'open' THEN 1 ELSE 0 END AS open_count,
                   CASE a.outcome WHEN 'kept' THEN 100.0 WHEN 'broken' THEN 0.0 END AS kept_rate,
                   %(amount)s AS amount
              FROM agreement a
            """,
            amount=company_amount(
                SQL("COALESCE(a.amount, 0)"),
                SQL("a.currency_id"),
                SQL("a.company_id"),
                SQL("COALESCE(a.date, CURRENT_DATE)"),
            ),
        )

    @api.model
    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
