from collections import defaultdict
from contextlib import contextmanager

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import GROUP_USER, check_group, collection_today
from .collection_settlement import LIVE_STATES as SETTLEMENT_LIVE_STATES

# The agreements that hold invoices, in the priority of their holds: while several of them stand
# on one invoice, ``collection_hold`` shows the first. Each is (hold, model, field of the model
# naming the invoices, states in which the agreement stands). ``collection_hold`` is derived from
# this list and nothing else: an agreement that starts or ends changes the hold of its invoices
# through its state, no code writes the hold.
HOLD_SOURCES = (
    ("dispute", "collection.dispute", "invoice_id", ("open",)),
    ("settlement", "collection.settlement", "invoice_ids", SETTLEMENT_LIVE_STATES),
    ("plan", "collection.payment.plan", "invoice_ids", ("active",)),
    ("promise", "collection.promise", "invoice_ids", ("open",)),
)
# The one rule of the agreements live on an invoice: each stands alone on its invoices, except a
# settlement offer, which may end a dispute.
COEXISTING_HOLDS = frozenset({frozenset({"dispute", "settlement"})})


class AccountMove(models.Model):
    """Invoices as the collections see them: their case and last reminder, the hold of the
    agreements standing on them, their disputes, and their early-payment discount."""

    _inherit = "account.move"

    # the case and its reminders
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
    collection_policy_id = fields.Many2one(
        "collection.policy",
        string="Own Collection Policy",
        copy=False,
        tracking=True,
        index="btree_not_null",
        check_company=True,
        domain="[('company_id', '=', company_id)]",
        help="Special terms of this invoice (e.g. a contract): it is collected in a case of its own, with the "
        "other open invoices carrying the same policy, under this policy whatever the customer's. "
        "Empty: the customer's case and policy.",
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

    # the hold of the agreements standing on the invoice
    collection_hold = fields.Selection(
        [
            ("promise", "Promise to pay"),
            ("plan", "Payment plan"),
            ("dispute", "Dispute"),
            ("settlement", "Settlement offer"),
        ],
        string="Dunning on Hold",
        compute="_compute_collection_hold",
        store=True,
        readonly=True,
        copy=False,
        index=True,
        help="An open promise, payment plan, settlement offer or dispute covers this invoice: no reminder "
        "until it ends. Follows those agreements.",
    )
    # the expected payment date: set by the daily run only (engine/expected_dates.py)
    collection_expected_base_date = fields.Date(
        string="Expected Payment (as Computed)",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The expected payment date as the last collections run computed it from its source, which "
        "may have passed since (the customer is late on it). Stored as computed, so that only a change "
        "of the promises, plans, offers or payment history rewrites it, not the passing days.",
    )
    collection_expected_date = fields.Date(
        string="Expected Payment",
        compute="_compute_collection_expected_date",
        help="When the customer is expected to pay this open invoice: the promised date of an open promise, "
        "the installment of an active payment plan, the deadline of a settlement offer, else the due date "
        "plus the customer's usual days late; today when that date has passed. Computed by the collections "
        "run.",
    )
    collection_expected_source = fields.Selection(
        [
            ("promise", "Promise to pay"),
            ("plan", "Payment plan"),
            ("settlement", "Settlement offer"),
            ("behaviour", "Payment behaviour"),
        ],
        string="Expected From",
        readonly=True,
        copy=False,
        help="What the expected payment date comes from.",
    )
    # the agreements' links to the invoice, seen from the invoice: what the hold depends on
    collection_promise_ids = fields.Many2many(
        "collection.promise",
        "collection_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        readonly=True,
        copy=False,
        groups="account_collections.group_collection_user",
    )
    collection_payment_plan_ids = fields.Many2many(
        "collection.payment.plan",
        "collection_payment_plan_invoice_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        readonly=True,
        copy=False,
        groups="account_collections.group_collection_user",
    )
    collection_settlement_ids = fields.Many2many(
        "collection.settlement",
        "collection_settlement_account_move_rel",
        "move_id",
        "settlement_id",
        string="Settlement Offers",
        readonly=True,
        copy=False,
        groups="account_collections.group_collection_user",
    )

    # disputes
    collection_dispute_ids = fields.One2many(
        "collection.dispute",
        "invoice_id",
        string="Disputes",
        readonly=True,
        groups="account_collections.group_collection_user",
    )
    collection_dispute_count = fields.Integer(
        compute="_compute_collection_dispute_count",
        string="Disputes Count",
        groups="account_collections.group_collection_user",
    )

    # early-payment discount
    collection_epd_date = fields.Date(
        string="Early Payment Discount Until",
        compute="_compute_collection_epd",
        help="Last day the customer may pay the discounted amount: the discount date of the invoice's "
        "payment term line, while the early-payment discount still applies.",
    )
    collection_epd_amount = fields.Monetary(
        string="Discounted Amount",
        compute="_compute_collection_epd",
        currency_field="currency_id",
        help="What the customer pays if paying by the discount date, as Odoo's payment term computed it.",
    )

    # ------------------------------------------------------------------ case and reminders
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

    @api.depends("collection_expected_base_date")
    @api.depends_context("collection_date")
    def _compute_collection_expected_date(self):
        """The date the run computed, never before today (a date passed: expected any day now)."""
        today = collection_today(self)
        for move in self:
            base = move.collection_expected_base_date
            move.collection_expected_date = base and max(base, today)

    @api.constrains("collection_blocked", "collection_blocked_reason")
    def _check_collection_blocked_reason(self):
        for move in self.filtered(lambda m: m.collection_blocked and not (m.collection_blocked_reason or "").strip()):
            raise ValidationError(
                self.env._(
                    "Invoice %(invoice)s is excluded from dunning without a reason: say why in 'Exclusion Reason'.",
                    invoice=move.display_name,
                )
            )

    @api.constrains("collection_policy_id", "move_type")
    def _check_collection_policy_invoice(self):
        invoice_types = ("out_invoice", "out_receipt")
        for move in self.filtered(lambda m: m.collection_policy_id and m.move_type not in invoice_types):
            raise ValidationError(
                self.env._(
                    "%(move)s is not a customer invoice: only customer invoices and receipts carry a collection "
                    "policy of their own. Clear 'Own Collection Policy'.",
                    move=move.display_name,
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

    @api.model_create_multi
    def create(self, vals_list):
        self._check_collection_hold_untouched(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_collection_hold_untouched([vals])
        res = super().write(vals)
        if "collection_blocked" in vals or "collection_policy_id" in vals:
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

    # ------------------------------------------------------------------ holds
    @api.depends(
        "collection_dispute_ids.state",
        "collection_settlement_ids.state",
        "collection_payment_plan_ids.state",
        "collection_promise_ids.state",
    )
    def _compute_collection_hold(self):
        """The hold of each invoice: the first kind of ``HOLD_SOURCES`` standing on it, else none.

        Recomputed whenever an agreement on the invoice changes state or invoices; one query per
        kind of agreement for the whole batch.
        """
        holds = self._origin._collection_live_holds()
        for move in self:
            move.collection_hold = holds.get(move._origin.id, False)

    def _collection_live_holds(self):
        """{invoice id: hold} of these invoices that a live agreement holds, by ``HOLD_SOURCES``:
        one ``_read_group`` per kind, each asking only about the invoices not held yet."""
        holds = {}
        pending = {move_id for move_id in self.ids if move_id}
        for hold, model, field, states in HOLD_SOURCES:
            if not pending:
                break
            # sudo: which agreements stand on an invoice decides its hold, whoever asks
            domain = [(field, "in", list(pending)), ("state", "in", states)]
            groups = self.env[model].sudo()._read_group(domain, [field])
            held = pending.intersection(invoice.id for (invoice,) in groups)
            holds.update(dict.fromkeys(held, hold))
            pending -= held
        return holds

    def _collection_live_agreements(self):
        """{invoice id: {hold: agreements}} of the agreements live on these invoices (one search per kind)."""
        live = defaultdict(dict)
        ids = set(self.ids)
        for hold, model, field, states in HOLD_SOURCES:
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

    @contextmanager
    def _collection_refresh_held(self):
        """Around a change of agreements on these invoices: refresh the cases of those whose hold
        it changed (what a case owes overdue leaves held invoices out). The agreements' workflow
        writes (``_write_workflow`` of a new state) run in it."""
        invoices = self.sudo()
        before = dict(zip(invoices.ids, invoices.mapped("collection_hold"), strict=True))
        yield
        invoices.filtered(lambda m: m.collection_hold != before[m.id])._collection_refresh()

    def _check_collection_hold_untouched(self, vals_list):
        """The hold follows the agreements on the invoice: nobody sets it, not even the superuser.
        Nor the expected payment date, which the daily run sets (through the write layer)."""
        expected = {"collection_expected_date", "collection_expected_base_date", "collection_expected_source"}
        if any(expected & vals.keys() for vals in vals_list):
            raise AccessError(
                self.env._(
                    "Invoice %(invoices)s: the expected payment date (collection_expected_date, "
                    "collection_expected_base_date, collection_expected_source) cannot be set by create or write, "
                    "the collections run computes "
                    "it from the promises, payment plans, settlement offers and the customer's payment behaviour. "
                    "Record a promise to pay to set the date the customer gave.",
                    invoices=", ".join(self.mapped("display_name")) or self.env._("(new)"),
                )
            )
        if any("collection_hold" in vals for vals in vals_list):
            raise AccessError(
                self.env._(
                    "Invoice %(invoices)s: Dunning on Hold (collection_hold) cannot be set by create or write, it "
                    "follows the promises, payment plans, settlement offers and disputes on the invoice. Confirm, "
                    "activate, offer or open one of them to put the invoice on hold, end it to lift the hold.",
                    invoices=", ".join(self.mapped("display_name")) or self.env._("(new)"),
                )
            )

    # ------------------------------------------------------------------ disputes
    def _compute_collection_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group([("invoice_id", "in", self.ids)], ["invoice_id"], ["__count"])
        )
        for move in self:
            move.collection_dispute_count = counts.get(move, 0)

    def action_new_collection_dispute(self):
        """Invoice form button: a new dispute on this invoice, in its customer's open case."""
        check_group(self.env, GROUP_USER, self.env._("record a dispute on an invoice"))
        self.ensure_one()
        case = self.collection_case_id.filtered(lambda c: c.state == "open")
        if (
            self.move_type != "out_invoice"
            or self.state != "posted"
            or self.payment_state in ("paid", "in_payment", "reversed")
        ):
            raise UserError(
                self.env._(
                    "%(invoice)s cannot be disputed: only posted customer invoices with an amount due can.",
                    invoice=self.display_name,
                )
            )
        if not case:
            raise UserError(
                self.env._(
                    "%(invoice)s is not part of an open collection case yet (it is not overdue or due soon): "
                    "run the collections or wait until it is due to record a dispute.",
                    invoice=self.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_case_id": case.id, "default_invoice_id": self.id},
        }

    def action_view_collection_disputes(self):
        check_group(self.env, GROUP_USER, self.env._("view the disputes of an invoice"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_dispute")
        action.update(domain=[("invoice_id", "=", self.id)], context={"create": False})
        return action

    # ------------------------------------------------------------------ early-payment discount
    @api.depends(
        "invoice_payment_term_id.early_discount",
        "line_ids.discount_date",
        "line_ids.discount_amount_currency",
        "line_ids.amount_residual_currency",
        "payment_state",
    )
    @api.depends_context("collection_date")
    def _compute_collection_epd(self):
        """Read the discount from the payment term line, the way the invoice portal page does
        (``_get_installments_data``): nothing is recomputed from the percentage here."""
        today = collection_today(self)
        for move in self:
            move.collection_epd_date = False
            move.collection_epd_amount = 0.0
            if (
                move.state != "posted"
                or move.move_type not in ("out_invoice", "out_receipt")
                or move.payment_state not in ("not_paid", "partial")
                or not move.invoice_payment_term_id.early_discount
            ):
                continue
            term_lines = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            installment = next(
                (
                    item
                    for item in term_lines._get_installments_data(payment_date=today)
                    if item["type"] == "early_payment_discount"
                ),
                None,
            )
            if installment and installment["line"].discount_date and installment["line"].discount_date >= today:
                move.collection_epd_date = installment["line"].discount_date
                move.collection_epd_amount = installment["amount_residual_currency_unsigned"]
