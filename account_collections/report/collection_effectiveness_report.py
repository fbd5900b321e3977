from odoo import api, fields, models
from odoo.tools import SQL

from ..models.collection_event import CHANNELS, EVENT_STATES

# channels that reach the customer
CONTACT_CHANNELS = ("email", "letter", "sms", "call")
# windows after a contact in which payments are measured
PAID_WINDOWS = (7, 14, 30)


def company_amount(amount, currency, company, date):
    """SQL: ``amount`` in ``currency`` converted to the currency of ``company`` at ``date``
    (latest rate of that date or before, the company's own rate first, else 1)."""
    return SQL(
        """
        CASE WHEN %(currency)s IS NULL
                  OR %(currency)s = (SELECT rc.currency_id FROM res_company rc WHERE rc.id = %(company)s)
             THEN %(amount)s
             ELSE %(amount)s / COALESCE(NULLIF((
                      SELECT r.rate FROM res_currency_rate r
                       WHERE r.currency_id = %(currency)s
                         AND (r.company_id = %(company)s OR r.company_id IS NULL)
                         AND r.name <= %(date)s
                       ORDER BY r.name DESC, r.company_id IS NULL
                       LIMIT 1), 0), 1.0)
        END
        """,
        amount=amount,
        currency=currency,
        company=company,
        date=date,
    )


class CollectionEffectivenessReport(models.Model):
    """Effectiveness of reminders: one row per outbound contact (email, letter, SMS, call).

    For every contact, the invoices it was about (the event's invoices) are followed for 30
    days: a contact counts as *paid within N days* when all its invoices got fully paid by the
    contact date + N days (the date of the last reconciliation of each invoice); the amounts
    received within N days are the reconciliations dated from the contact day to the contact
    day + N, in company currency. Paid measures are only given for contacts that went out
    (state Sent); the *rate* measures average to the share of such contacts. Next to them, the
    clicks on the contact's tracked links (its pay links, logged as inbound events linked to it).
    """

    _name = "collection.effectiveness.report"
    _description = "Collections Effectiveness"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "event_id"

    event_id = fields.Many2one("collection.event", string="Contact", readonly=True)
    date = fields.Date(readonly=True)
    case_id = fields.Many2one("collection.case", string="Case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id", string="Currency")
    level_id = fields.Many2one("collection.level", string="Level", readonly=True)
    policy_id = fields.Many2one("collection.policy", string="Policy", readonly=True)
    collector_id = fields.Many2one("res.users", string="Collector", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    state = fields.Selection(EVENT_STATES, readonly=True)
    contact_count = fields.Integer(string="Contacts", readonly=True)
    sent_count = fields.Integer(string="Sent", readonly=True)
    queued_count = fields.Integer(string="Queued", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    invoice_count = fields.Integer(string="Invoices Contacted", readonly=True)
    amount_due = fields.Monetary(string="Due at Contact", readonly=True)
    paid_7_count = fields.Integer(string="Paid in 7 Days", readonly=True)
    paid_14_count = fields.Integer(string="Paid in 14 Days", readonly=True)
    paid_30_count = fields.Integer(string="Paid in 30 Days", readonly=True)
    paid_7_rate = fields.Float(string="Paid in 7 Days (%)", aggregator="avg", readonly=True, digits=(16, 1))
    paid_14_rate = fields.Float(string="Paid in 14 Days (%)", aggregator="avg", readonly=True, digits=(16, 1))
    paid_30_rate = fields.Float(string="Paid in 30 Days (%)", aggregator="avg", readonly=True, digits=(16, 1))
    amount_paid_7 = fields.Monetary(string="Received in 7 Days", readonly=True)
    amount_paid_14 = fields.Monetary(string="Received in 14 Days", readonly=True)
    amount_paid_30 = fields.Monetary(string="Received in 30 Days", readonly=True)
    click_count = fields.Integer(string="Links Opened", readonly=True, help="Clicks on the contact's tracked links.")
    clicked_count = fields.Integer(
        string="Contacts Opened", readonly=True, help="1 when the customer opened a link of the contact at least once."
    )

    _depends = {
        "collection.event": [
            "date",
            "case_id",
            "partner_id",
            "company_id",
            "currency_id",
            "level_id",
            "channel",
            "direction",
            "state",
            "amount_due",
            "invoice_ids",
            "kind",
            "link_event_id",
        ],
        "collection.case": ["user_id"],
        "collection.level": ["policy_id"],
        "account.move": ["payment_state", "state", "move_type"],
        "account.partial.reconcile": ["max_date", "amount", "debit_move_id"],
    }

    def _query(self):
        windows = {days: SQL("c.contact_date + %s", days) for days in PAID_WINDOWS}
        per_invoice = SQL(", ").join(
            SQL(
                "SUM(apr.amount) FILTER (WHERE apr.max_date BETWEEN c.contact_date AND %s) AS amount_%s",
                windows[days],
                SQL(str(days)),
            )
            for days in PAID_WINDOWS
        )
        per_contact = SQL(", ").join(
            SQL(
                """
                BOOL_AND(COALESCE(ei.settled_date <= ei.contact_date + %(days)s, FALSE)) AS paid_%(n)s,
                COALESCE(SUM(ei.amount_%(n)s), 0) AS amount_%(n)s
                """,
                days=days,
                n=SQL(str(days)),
            )
            for days in PAID_WINDOWS
        )
        measures = SQL(", ").join(
            SQL(
                """
                CASE WHEN c.state = 'sent' AND a.paid_%(n)s THEN 1 ELSE 0 END AS paid_%(n)s_count,
                CASE WHEN c.state = 'sent' AND a.invoice_count > 0
                     THEN CASE WHEN a.paid_%(n)s THEN 100.0 ELSE 0.0 END END AS paid_%(n)s_rate,
                CASE WHEN c.state = 'sent' THEN COALESCE(a.amount_%(n)s, 0) ELSE 0 END AS amount_paid_%(n)s
                """,
                n=SQL(str(days)),
            )
            for days in PAID_WINDOWS
        )
        return SQL(
            """
            WITH contact AS (
                SELECT e.id, e.date, e.date::date AS contact_date, e.case_id, e.partner_id,
                       e.company_id, e.currency_id, e.level_id, e.channel, e.state, e.amount_due
                  FROM collection_event e
                 WHERE e.direction = 'outbound' AND e.channel IN %(channels)s
            ), ei AS (
                SELECT c.id AS event_id, c.contact_date,
                       CASE WHEN m.payment_state IN ('paid', 'in_payment') THEN MAX(apr.max_date) END AS settled_date,
                       %(per_invoice)s
                  FROM contact c
                  JOIN account_move_collection_event_rel rel ON rel.collection_event_id = c.id
                  JOIN account_move m ON m.id = rel.account_move_id AND m.move_type IN ('out_invoice', 'out_receipt')
                  LEFT JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
                  LEFT JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 GROUP BY c.id, c.contact_date, m.id, m.payment_state
            ), clicks AS (
                SELECT e.link_event_id AS event_id, COUNT(*) AS clicks
                  FROM collection_event e
                 WHERE e.kind = 'link_click' AND e.link_event_id IS NOT NULL
                 GROUP BY e.link_event_id
            ), agg AS (
                SELECT ei.event_id, COUNT(*) AS invoice_count, %(per_contact)s
                  FROM ei
                 GROUP BY ei.event_id
            )
            SELECT c.id AS id,
                   c.id AS event_id,
                   c.contact_date AS date,
                   c.case_id,
                   c.partner_id,
                   c.company_id,
                   c.level_id,
                   l.policy_id,
                   cs.user_id AS collector_id,
                   c.channel,
                   c.state,
                   1 AS contact_count,
                   CASE WHEN c.state = 'sent' THEN 1 ELSE 0 END AS sent_count,
                   CASE WHEN c.state = 'queued' THEN 1 ELSE 0 END AS queued_count,
                   CASE WHEN c.state = 'failed' THEN 1 ELSE 0 END AS failed_count,
                   CASE WHEN c.state = 'skipped' THEN 1 ELSE 0 END AS skipped_count,
                   COALESCE(a.invoice_count, 0) AS invoice_count,
                   %(amount_due)s AS amount_due,
                   %(measures)s,
                   COALESCE(k.clicks, 0) AS click_count,
                   CASE WHEN k.clicks > 0 THEN 1 ELSE 0 END AS clicked_count
              FROM contact c
              JOIN collection_case cs ON cs.id = c.case_id
              LEFT JOIN collection_level l ON l.id = c.level_id
              LEFT JOIN agg a ON a.event_id = c.id
              LEFT JOIN clicks k ON k.event_id = c.id
            """,
            channels=CONTACT_CHANNELS,
            per_invoice=per_invoice,
            per_contact=per_contact,
            measures=measures,
            amount_due=company_amount(
                SQL("COALESCE(c.amount_due, 0)"), SQL("c.currency_id"), SQL("c.company_id"), SQL("c.contact_date")
            ),
        )

    @api.model
    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
