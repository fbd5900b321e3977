from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import GROUP_USER, check_group, collection_today

# The one rule of the agreements live on an invoice (promise, payment plan, dispute, settlement
# offer): each stands alone on its invoices, except a settlement offer, which may end a dispute.
COEXISTING_HOLDS = frozenset({frozenset({"dispute", "settlement"})})
# the hold an invoice shows while several of them stand on it: the first of these
HOLD_PRIORITY = ("dispute", "settlement", "plan", "promise")


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_case_id = fields.Many2one(
        "collection.case", string="Collection Case", readonly=True, copy=False, index="btree_not_null"
    )
    collection_level_id = fields.Many2one(
        "collection.level",
        string="Collection Level",
        compute="_compute_collection_last_reminder",
        help="Level of the last reminder about this invoice (email, letter or SMS), from the collections log.",
    )
    collection_last_date = fields.Date(
        string="Last Reminder", compute="_compute_collection_last_reminder", help="Date of that reminder."
    )
    collection_next_date = fields.Date(related="collection_case_id.next_action_date", string="Next Collection Action")
    collection_blocked = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        tracking=True,
        help="No reminder, fee or escalation for this invoice.",
    )
    collection_blocked_reason = fields.Char(string="Exclusion Reason", copy=False, tracking=True)
    collection_hold = fields.Selection(
        [("promise", "Promise to pay"), ("plan", "Payment plan"), ("dispute", "Dispute")],
        string="Dunning on Hold",
        readonly=True,
        copy=False,
        index=True,
        help="An open promise, payment plan or dispute covers this invoice: no reminder until it ends.",
    )
    collection_is_charge = fields.Boolean(
        string="Collection Charge", readonly=True, copy=False, help="Late fee or interest invoice of a collection case."
    )
    collection_interest_date = fields.Date(
        string="Interest Charged Until",
        readonly=True,
        copy=False,
        help="Statutory interest was invoiced up to this date.",
    )
    collection_compensation_charged = fields.Boolean(string="Fixed Compensation Charged", readonly=True, copy=False)
    time_barred = fields.Boolean(
        compute="_compute_time_barred",
        search="_search_time_barred",
        help="Due longer ago than the company's statute of limitations: never dunned automatically.",
    )

    def _compute_collection_last_reminder(self):
        """The last reminder of each invoice, read from the log in one query for all of them."""
        saved = self.filtered(lambda m: isinstance(m.id, int))
        last = {}
        if saved:
            self.env["collection.event"].flush_model(["level_id", "date", "channel", "state", "direction"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT ON (r.account_move_id) r.account_move_id, e.level_id, e.date
                      FROM account_move_collection_event_rel r
                      JOIN collection_event e ON e.id = r.collection_event_id
                     WHERE r.account_move_id = ANY(%s) AND e.level_id IS NOT NULL
                       AND e.direction = 'outbound' AND e.channel IN ('email', 'letter', 'sms')
                       AND e.state IN ('queued', 'sent')
                     ORDER BY r.account_move_id, e.date DESC, e.id DESC
                    """,
                    saved.ids,
                )
            )
            last = {move_id: (level_id, date) for move_id, level_id, date in rows}
        for move in self:
            level_id, date = last.get(move.id, (False, False))
            move.collection_level_id = level_id
            move.collection_last_date = date and fields.Date.context_today(move, date)

    @api.constrains("collection_blocked", "collection_blocked_reason")
    def _check_collection_blocked_reason(self):
        for move in self.filtered(lambda m: m.collection_blocked and not (m.collection_blocked_reason or "").strip()):
            raise ValidationError(
                self.env._(
                    "Invoice %(invoice)s is excluded from dunning without a reason: say why in 'Exclusion Reason'.",
                    invoice=move.display_name,
                )
            )

    @api.depends("invoice_date_due", "company_id.collection_limitation_years")
    @api.depends_context("collection_date")
    def _compute_time_barred(self):
        today = collection_today(self)
        for move in self:
            years = move.company_id.collection_limitation_years
            move.time_barred = bool(
                years and move.invoice_date_due and move.invoice_date_due < today - relativedelta(years=years)
            )

    def _search_time_barred(self, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(self.env._("Search on time-barred only supports = and !=."))
        today = collection_today(self)
        companies = self.env["res.company"].sudo().search([("collection_limitation_years", ">", 0)])
        barred = expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    ("invoice_date_due", "<", today - relativedelta(years=company.collection_limitation_years)),
                ]
                for company in companies
            ]
            or [expression.FALSE_DOMAIN]
        )
        if (operator == "=") == bool(value):
            return barred
        return [("id", "not in", self._search(barred))]

    # ------------------------------------------------------------------ holds
    def _collection_agreement_sources(self):
        """Every agreement that holds invoices: [(hold, model, invoice field, live states)]."""
        return [
            ("promise", "collection.promise", "invoice_ids", ("open",)),
            ("plan", "collection.payment.plan", "invoice_ids", ("active",)),
            ("dispute", "collection.dispute", "invoice_id", ("open",)),
        ]

    def _collection_live_agreements(self):
        """{invoice id: {hold: agreements}} of the agreements live on these invoices (one search per kind)."""
        live = defaultdict(dict)
        ids = set(self.ids)
        for hold, model, field, states in self._collection_agreement_sources():
            # sudo: which agreements stand on an invoice decides its hold, whoever asks
            for agreement in self.env[model].sudo().search([(field, "in", self.ids), ("state", "in", states)]):
                for invoice_id in ids.intersection(agreement[field].ids):
                    live[invoice_id][hold] = live[invoice_id].get(hold, agreement.browse()) | agreement
        return live

    def _collection_check_agreement(self, hold, agreement):
        """Refuse ``agreement`` (of kind ``hold``) on these invoices where a live agreement stands
        that it may not share them with (``COEXISTING_HOLDS``)."""
        labels = dict(self._fields["collection_hold"]._description_selection(self.env))
        live = self._collection_live_agreements()
        for invoice in self:
            for other_hold, others in live.get(invoice.id, {}).items():
                if other_hold == hold:
                    others -= agreement
                if others and frozenset({hold, other_hold}) not in COEXISTING_HOLDS:
                    raise ValidationError(
                        self.env._(
                            "%(agreement)s cannot cover %(invoice)s: it is already covered by the open "
                            "%(kind)s %(other)s. End that %(kind)s first, or leave %(invoice)s out.",
                            agreement=agreement.display_name,
                            invoice=invoice.name,
                            kind=labels[other_hold].lower(),
                            other=others[0].display_name,
                        )
                    )

    def _collection_sync_hold(self):
        """Set the hold of these invoices from the agreements live on them: the one place that
        writes it, after every agreement starts or ends."""
        live = self._collection_live_agreements()
        by_hold = defaultdict(list)
        for invoice in self:
            holds = live.get(invoice.id, {})
            hold = next((name for name in HOLD_PRIORITY if name in holds), False)
            if invoice.collection_hold != hold:
                by_hold[hold].append(invoice.id)
        for hold, invoice_ids in by_hold.items():
            # sudo: the hold is a system flag on the invoices, set for collectors without accounting rights
            self.browse(invoice_ids).sudo().write({"collection_hold": hold})

    def _collection_refresh(self):
        """Refresh the cases of these moves' customers (cheap: one SQL pass for them)."""
        receivables = self.filtered(lambda m: m.is_sale_document(include_receipts=True) or m.collection_case_id)
        if receivables and not self.env.context.get("collection_no_refresh"):
            Engine = self.env["collection.engine"]
            run = Engine._new_run(collection_today(self), receivables.company_id)
            Engine._refresh(run, partner_ids=receivables.commercial_partner_id.ids)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._collection_refresh()
        return posted

    def button_draft(self):
        res = super().button_draft()
        self._collection_refresh()
        return res

    def button_cancel(self):
        res = super().button_cancel()
        self._collection_refresh()
        return res

    def write(self, vals):
        res = super().write(vals)
        if "collection_blocked" in vals or "collection_hold" in vals:
            self._collection_refresh()
        return res

    def action_open_collection_case(self):
        check_group(self.env, GROUP_USER, self.env._("open the collection case of an invoice"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.collection_case_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
