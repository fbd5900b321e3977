from odoo import api, fields, models
from odoo.tools import SQL

from .collection_effectiveness_report import company_amount


class CollectionWorkloadReport(models.Model):
    """What each collector has on their plate, as of today.

    One row per open case (counted under the case's collector) and one per open activity
    scheduled on a case (counted under the activity's assignee). A case is an action *due
    today* when its next level falls due today, *overdue* when that date passed (paused cases
    excluded); an activity likewise by its deadline. Amounts in company currency at today's
    rate. Today is the database's current date (UTC).
    """

    _name = "collection.workload.report"
    _description = "Collector Workload"
    _auto = False
    _order = "user_id, id"
    _rec_name = "case_id"

    kind = fields.Selection([("case", "Case"), ("activity", "Activity")], readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    case_id = fields.Many2one("collection.case", string="Case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id", string="Currency")
    stage_id = fields.Many2one("collection.stage", string="Stage", readonly=True)
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity Type", readonly=True)
    date = fields.Date(string="Action Date", readonly=True)
    case_count = fields.Integer(string="Open Cases", readonly=True)
    amount_due = fields.Monetary(readonly=True)
    amount_overdue = fields.Monetary(readonly=True)
    due_today_count = fields.Integer(string="Actions Due Today", readonly=True)
    overdue_count = fields.Integer(string="Overdue Actions", readonly=True)

    _depends = {
        "collection.case": [
            "state",
            "user_id",
            "partner_id",
            "company_id",
            "currency_id",
            "stage_id",
            "amount_due",
            "amount_overdue",
            "next_action_date",
            "paused_until",
        ],
        "mail.activity": ["res_model", "res_id", "user_id", "date_deadline", "activity_type_id", "active"],
    }

    def _query(self):
        return SQL(
            """
            SELECT c.id * 2 AS id, 'case' AS kind, c.user_id, c.id AS case_id, c.partner_id, c.company_id,
                   c.stage_id, NULL::int AS activity_type_id, c.next_action_date AS date,
                   1 AS case_count,
                   %(amount_due)s AS amount_due,
                   %(amount_overdue)s AS amount_overdue,
                   CASE WHEN c.next_action_date = CURRENT_DATE AND NOT paused THEN 1 ELSE 0 END AS due_today_count,
                   CASE WHEN c.next_action_date < CURRENT_DATE AND NOT paused THEN 1 ELSE 0 END AS overdue_count
              FROM collection_case c,
                   LATERAL (SELECT COALESCE(c.paused_until > CURRENT_DATE, FALSE)) AS p(paused)
             WHERE c.state = 'open'
             UNION ALL
            SELECT a.id * 2 + 1, 'activity', a.user_id, c.id, c.partner_id, c.company_id, c.stage_id,
                   a.activity_type_id, a.date_deadline, 0, 0, 0,
                   CASE WHEN a.date_deadline = CURRENT_DATE THEN 1 ELSE 0 END,
                   CASE WHEN a.date_deadline < CURRENT_DATE THEN 1 ELSE 0 END
              FROM mail_activity a
              JOIN collection_case c ON c.id = a.res_id
             WHERE a.res_model = 'collection.case' AND a.active IS NOT FALSE
            """,
            amount_due=company_amount(
                SQL("c.amount_due"), SQL("c.currency_id"), SQL("c.company_id"), SQL("CURRENT_DATE")
            ),
            amount_overdue=company_amount(
                SQL("c.amount_overdue"), SQL("c.currency_id"), SQL("c.company_id"), SQL("CURRENT_DATE")
            ),
        )

    @api.model
    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
