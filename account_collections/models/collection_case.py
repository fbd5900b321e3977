import logging
import math
import re
from collections import defaultdict
from datetime import date, timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

from ..tools import (
    GROUP_MANAGER,
    GROUP_USER,
    check_companies,
    check_date,
    check_group,
    collection_today,
)
from .bulk_sql import bulk_update, reserve_sequence_numbers
from .collection_aged_receivable import AGING_BUCKETS
from .collection_event import CALL_OUTCOMES
from .collection_stage import (
    DISPUTABLE_STAGE_CODES,
    HANDED_OVER_STAGE_CODES,
    STOPPED_STAGE_CODES,
    WORKFLOW_STAGE_CODES,
)

_logger = logging.getLogger(__name__)

# Fixed anchor of the age term of the priority score (see _compute_priority_score)
AGE_ANCHOR = date(2100, 1, 1)
# customers owing the most that the dashboard lists
TOP_OVERDUE_LIMIT = 10
# why a case is paused (``pause_reason``)
PAUSE_REASONS = [("manual", "Paused by hand"), ("reply", "Customer replied")]
# how much of a customer's reply the log keeps (the whole message is in the chatter)
REPLY_NOTE_LENGTH = 2000


class CollectionCase(models.Model):
    """One open case per commercial partner, company and currency with receivables to collect.

    The file reads top to bottom: fields, computes, user actions (and the helpers that move cases
    through the workflow), the refresh's entry point, one section per thing a collector does on a
    case (promises and calls, payment plans, settlement offers, disputes, legal handover,
    write-offs), the smart buttons and the dashboard. What a run does is in ``engine/``.
    """

    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "state, amount_overdue desc, oldest_due_date, id"
    _check_company_auto = True

    # derived from the ledger and the levels by the engine, or set by the legal handover
    _workflow_fields = {
        "state": ("refresh_cases", "run_collections"),
        "closed_date": ("refresh_cases", "run_collections"),
        "amount_due": ("refresh_cases", "run_collections"),
        "amount_overdue": ("refresh_cases", "run_collections"),
        "oldest_due_date": ("refresh_cases", "run_collections"),
        "open_invoice_count": ("refresh_cases", "run_collections"),
        "policy_id": ("refresh_cases", "run_collections"),
        "invoice_policy_id": ("refresh_cases", "run_collections"),
        "level_id": ("run_collections", "action_send_next_reminder"),
        "next_level_id": ("run_collections", "action_send_next_reminder"),
        "next_action_date": ("run_collections", "action_send_next_reminder"),
        "last_action_date": ("run_collections", "action_send_next_reminder"),
        "legal_partner_id": ("action_legal_handover",),
        "legal_date": ("action_legal_handover",),
        "legal_note": ("action_legal_handover",),
        "legal_file_id": ("action_legal_handover",),
        # a customer's reply (the mail gateway) and a collector's answer set them
        "pause_reason": ("action_pause", "action_resume"),
        "awaiting_reply_since": ("message_post", "action_log_call"),
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, index="trigram")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, tracking=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")], default="open", required=True, readonly=True, index=True
    )
    stage_id = fields.Many2one(
        "collection.stage",
        string="Stage",
        tracking=True,
        index=True,
        group_expand="_read_group_stage_ids",
        default=lambda self: self.env["collection.stage"]._get_by_code("new"),
    )
    stage_code = fields.Selection(related="stage_id.code")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        tracking=True,
        index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    policy_id = fields.Many2one("collection.policy", readonly=True, index=True, check_company=True)
    invoice_policy_id = fields.Many2one(
        "collection.policy",
        string="Invoice Policy",
        readonly=True,
        check_company=True,
        help="The invoices of this case carry a collection policy of their own (special contract terms): the "
        "case follows it, whatever the customer's policy. Empty: the customer's case.",
    )
    level_id = fields.Many2one(
        "collection.level", string="Current Level", readonly=True, tracking=True, help="Last level executed."
    )
    next_level_id = fields.Many2one("collection.level", string="Next Level", readonly=True)
    invoice_ids = fields.One2many("account.move", "collection_case_id", string="Invoices", readonly=True)
    open_invoice_ids = fields.Many2many(
        "account.move", string="Open Invoices", compute="_compute_open_invoice_ids", help="Invoices still to be paid."
    )
    dunning_invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices Dunned",
        compute="_compute_open_invoice_ids",
        help="Open invoices the reminders are about: not excluded from dunning, not time-barred.",
    )
    open_invoice_count = fields.Integer(readonly=True)
    amount_due = fields.Monetary(readonly=True, help="Balance of all open receivables, credits deducted.")
    amount_overdue = fields.Monetary(readonly=True, help="Part of the balance that is past due, credits deducted.")
    oldest_due_date = fields.Date(
        readonly=True, index=True, help="Due date of the oldest open invoice that can be dunned."
    )
    days_overdue = fields.Integer(compute="_compute_days_overdue")
    next_action_date = fields.Date(readonly=True, index=True, help="When the next level becomes due.")
    last_action_date = fields.Date(readonly=True)
    paused_until = fields.Date(tracking=True, help="No automatic dunning before this date.")
    pause_reason = fields.Selection(
        PAUSE_REASONS,
        readonly=True,
        help="Why automatic dunning is paused: by hand, or for a customer's reply waiting for our answer "
        "(that pause ends as soon as a collector answers from the case or logs a call).",
    )
    awaiting_reply_since = fields.Datetime(
        string="Customer Replied On",
        readonly=True,
        copy=False,
        help="When the customer replied; cleared once a collector answers from the case or logs a call.",
    )
    risk_score = fields.Integer(related="partner_id.risk_score", string="Risk", store=True)
    closed_date = fields.Date(readonly=True)
    event_ids = fields.One2many("collection.event", "case_id", string="Log", readonly=True)
    event_count = fields.Integer(compute="_compute_event_count")
    next_reminder_to = fields.Char(
        compute="_compute_next_reminder_recipients",
        help="Who the next reminder email goes to: the customer's collections contact, else its invoice "
        "addresses, else the customer (addresses that bounced or are blacklisted passed over).",
    )
    next_reminder_cc = fields.Char(
        compute="_compute_next_reminder_recipients",
        help="Who the next reminder email copies, as its level asks: the invoices' salesperson, the collector.",
    )
    color = fields.Integer()
    # the collector's worklist: open cases ranked by how urgent they are
    priority_score = fields.Float(
        string="Priority",
        compute="_compute_priority_score",
        store=True,
        index=True,
        digits=(16, 2),
        help="Rank in the worklist, higher first: 10 points per tenfold overdue amount (in company currency), "
        "0.2 per point of customer risk, 1 per 30 days the oldest invoice is overdue.",
    )
    # agreements and write-offs on the case
    promise_ids = fields.One2many("collection.promise", "case_id", string="Promises", readonly=True)
    promise_count = fields.Integer(compute="_compute_promise_count", string="Open Promises")
    payment_plan_ids = fields.One2many("collection.payment.plan", "case_id", string="Payment Plans", readonly=True)
    payment_plan_count = fields.Integer(compute="_compute_payment_plan_count")
    settlement_ids = fields.One2many("collection.settlement", "case_id", string="Settlement Offers", readonly=True)
    settlement_count = fields.Integer(compute="_compute_settlement_count", string="Settlement Offer Count")
    dispute_ids = fields.One2many("collection.dispute", "case_id", string="Disputes", readonly=True)
    dispute_count = fields.Integer(compute="_compute_dispute_count", string="Open Disputes")
    write_off_ids = fields.One2many("collection.write.off", "case_id", string="Write-offs", readonly=True)
    write_off_count = fields.Integer(compute="_compute_write_off_count", string="Write-off Count")
    # handover to a lawyer or a court (see _legal_handover), and the legal costs
    legal_partner_id = fields.Many2one(
        "res.partner", string="Lawyer / Court", readonly=True, tracking=True, help="Who the case was handed over to."
    )
    legal_date = fields.Date(string="Handed Over On", readonly=True)
    legal_note = fields.Text(string="Handover Note", readonly=True)
    legal_file_id = fields.Many2one("ir.attachment", string="Legal File", readonly=True, copy=False)
    legal_cost_ids = fields.One2many("collection.legal.cost", "case_id", string="Legal Costs")
    legal_cost_total = fields.Monetary(
        string="Total Legal Costs",
        compute="_compute_legal_cost_total",
        help="In the case's currency (costs in other currencies converted at their date).",
    )
    legal_cost_recharge_total = fields.Monetary(
        string="To Recharge", compute="_compute_legal_cost_total", help="Part of the legal costs claimed back."
    )

    _sql_constraints = [
        (
            "amounts_positive",
            "CHECK(amount_due >= 0 AND amount_overdue >= 0)",
            "The amounts of a collection case cannot be negative.",
        ),
    ]

    def init(self):
        # one open case per customer, company, currency and invoice policy (none: the customer's
        # case); it replaces the index of one open case per customer, company and currency
        self.env.cr.execute(
            """
            DROP INDEX IF EXISTS collection_case_open_uniq;
            CREATE UNIQUE INDEX IF NOT EXISTS collection_case_open_policy_uniq
                ON collection_case (partner_id, company_id, currency_id, COALESCE(invoice_policy_id, 0))
                WHERE state = 'open'
            """
        )

    # ------------------------------------------------------------------ computes
    @api.depends("oldest_due_date", "state")
    @api.depends_context("collection_date")
    def _compute_days_overdue(self):
        today = self._collection_today()
        for case in self:
            due = case.oldest_due_date
            case.days_overdue = (today - due).days if due and case.state == "open" else 0

    @api.depends(
        "invoice_ids.payment_state",
        "invoice_ids.state",
        "invoice_ids.collection_blocked",
        "invoice_ids.collection_hold",
    )
    @api.depends_context("collection_date")
    def _compute_open_invoice_ids(self):
        """One query for all the cases: the engine reads these for thousands of cases per batch."""
        saved = self.filtered(lambda c: isinstance(c.id, int))
        for case in self - saved:  # a case being created in a form: from the cache
            open_invoices = case.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.payment_state not in ("paid", "in_payment", "reversed")
            ).sorted(lambda m: (m.invoice_date_due or m.date, m.id))
            case.open_invoice_ids = open_invoices
            case.dunning_invoice_ids = open_invoices.filtered(
                lambda m: not m.collection_blocked and not m.collection_hold and not m.time_barred
            )
        if not saved:
            return
        Move = self.env["account.move"]
        Move.flush_model(
            ["collection_case_id", "state", "payment_state", "collection_blocked", "collection_hold"]
            + ["invoice_date_due", "date", "company_id"]
        )
        self.env["res.company"].flush_model(["collection_limitation_years"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.collection_case_id, m.id,
                       NOT COALESCE(m.collection_blocked, FALSE) AND m.collection_hold IS NULL
                       AND NOT (COALESCE(c.collection_limitation_years, 0) > 0
                                AND m.invoice_date_due IS NOT NULL
                                AND m.invoice_date_due
                                    < %s::date - make_interval(years => c.collection_limitation_years))
                  FROM account_move m
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.collection_case_id = ANY(%s) AND m.state = 'posted'
                   AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed')
                 ORDER BY COALESCE(m.invoice_date_due, m.date), m.id
                """,
                self._collection_today(),
                saved.ids,
            )
        )
        open_ids, dunned_ids = defaultdict(list), defaultdict(list)
        for case_id, move_id, dunned in rows:
            open_ids[case_id].append(move_id)
            if dunned:
                dunned_ids[case_id].append(move_id)
        # straight into the cache (what the assignment ends in, without its per-record work)
        self.env.cache.update(
            saved, self._fields["open_invoice_ids"], [tuple(open_ids[case_id]) for case_id in saved.ids]
        )
        self.env.cache.update(
            saved, self._fields["dunning_invoice_ids"], [tuple(dunned_ids[case_id]) for case_id in saved.ids]
        )

    @api.depends_context("collection_date")
    def _compute_next_reminder_recipients(self):
        recipients = self._collection_recipients({case.id: case.next_level_id for case in self})
        for case in self:
            case.next_reminder_to = recipients[case.id]["email_to"]
            case.next_reminder_cc = recipients[case.id]["email_cc"]

    def _compute_event_count(self):
        counts = dict(self.env["collection.event"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"]))
        for case in self:
            case.event_count = counts.get(case, 0)

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for case in self:
            case.display_name = " - ".join(filter(None, [case.name, case.partner_id.display_name]))

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])  # pylint: disable=no-search-all  # a handful of pipeline columns

    def _collection_today(self):
        return collection_today(self)

    @api.depends("state", "amount_overdue", "oldest_due_date", "currency_id", "company_id", "partner_id.risk_score")
    def _compute_priority_score(self):
        """Priority of an open case, higher is more urgent::

            10 * log10(1 + amount_overdue in company currency)
            + 0.2 * customer risk_score (0-100)
            + (AGE_ANCHOR - oldest_due_date) / 30 days

        A stored score cannot use today (it would be stale tomorrow), so the age term counts
        days from the oldest due date to a fixed anchor date instead of to today: that is the
        days overdue plus the same constant for every case, so the ranking is the one days
        overdue would give, and it never needs a daily recompute. The score's absolute value
        means nothing, only the order. A case with nothing dunnable (closed, all invoices on
        hold) has no age term and ranks last. Foreign-currency amounts are converted at the
        rate of the day of the computation (once per currency, not per case).
        """
        scores = self._priority_scores({case.id: case.risk_score for case in self})
        for case in self:
            case.priority_score = scores[case.id]

    def _priority_scores(self, risks):
        """{case id: priority score} of these cases, given their customers' risk ({case id: risk})."""
        rates, scores = {}, {}
        for case in self:
            scores[case.id] = (
                self._priority_value(
                    case.company_id, case.currency_id, case.amount_overdue, case.oldest_due_date, risks[case.id], rates
                )
                if case.state == "open"
                else 0.0
            )
        return scores

    @api.model
    def _priority_value(self, company, currency, amount_overdue, oldest_due_date, risk, rates):
        """Priority of an open case from its values (see _compute_priority_score); ``rates`` caches
        the conversion rate of each (currency, company)."""
        key = (currency, company)
        if key not in rates:
            rates[key] = (
                1.0
                if currency == company.currency_id
                else currency._get_conversion_rate(
                    currency, company.currency_id, company, fields.Date.context_today(self)
                )
            )
        overdue = max(amount_overdue or 0.0, 0.0) * rates[key]
        age = (AGE_ANCHOR - oldest_due_date).days / 30.0 if oldest_due_date else 0.0
        return round(10.0 * math.log10(1.0 + overdue) + 0.2 * (risk or 0) + age, 2)

    def _compute_promise_count(self):
        counts = dict(
            self.env["collection.promise"]._read_group(
                [("case_id", "in", self.ids), ("state", "in", ("draft", "open"))], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.promise_count = counts.get(case, 0)

    @api.depends("payment_plan_ids")
    def _compute_payment_plan_count(self):
        counts = dict(
            self.env["collection.payment.plan"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.payment_plan_count = counts.get(case, 0)

    def _compute_settlement_count(self):
        counts = dict(
            self.env["collection.settlement"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.settlement_count = counts.get(case, 0)

    def _compute_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group(
                [("case_id", "in", self.ids), ("state", "in", ("draft", "open"))], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.dispute_count = counts.get(case, 0)

    @api.depends("write_off_ids")
    def _compute_write_off_count(self):
        counts = dict(
            self.env["collection.write.off"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.write_off_count = counts.get(case, 0)

    @api.depends(
        "legal_cost_ids.amount", "legal_cost_ids.currency_id", "legal_cost_ids.date", "legal_cost_ids.recharge"
    )
    def _compute_legal_cost_total(self):
        for case in self:
            total = recharge = 0.0
            for cost in case.legal_cost_ids:
                amount = cost.currency_id._convert(cost.amount, case.currency_id, case.company_id, cost.date)
                total += amount
                recharge += amount if cost.recharge else 0.0
            case.legal_cost_total = total
            case.legal_cost_recharge_total = recharge

    # ------------------------------------------------------------------ user actions
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                stage_id = vals.get("stage_id", self.env.context.get("default_stage_id"))
                if stage_id:
                    self.browse()._check_stage_move(self.env["collection.stage"].browse(stage_id))
        self._set_references([vals for vals in vals_list if not vals.get("name")])
        return super().create(vals_list)

    def _set_references(self, vals_list):
        """Give the new cases their reference from the sequence (drawn in one query for all)."""
        if not vals_list:
            return
        # sudo: the reference sequence is configuration, cases get their number whoever opens them
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "collection.case"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        names = reserve_sequence_numbers(sequence, len(vals_list)) if sequence else ["/"] * len(vals_list)
        for vals, name in zip(vals_list, names, strict=True):
            vals["name"] = name

    def write(self, vals):
        events = []
        # a user's move (the kanban, the status bar); the suite's moves go through _move_to_stage
        if "stage_id" in vals and not self.env.su:
            stage = self.env["collection.stage"].browse(vals["stage_id"])
            moving = self.filtered(lambda c: c.stage_id != stage)
            moving._check_stage_move(stage)
            events += [
                case._event_vals(
                    self.env._("Stage moved from %(old)s to %(new)s", old=case.stage_id.name, new=stage.name)
                )
                for case in self.filtered(lambda c: c.stage_id != stage)
            ]
        if "user_id" in vals:
            user = self.env["res.users"].browse(vals["user_id"])
            events += [
                case._event_vals(
                    self.env._("Assigned to %s", user.name)
                    if user
                    else self.env._("Collector %s unassigned", case.user_id.name)
                )
                for case in self.filtered(lambda c: c.user_id != user)
            ]
        if events:
            self.env["collection.event"].sudo()._log(events)
        res = super().write(vals)
        if "paused_until" in vals and not self.env.su:
            # a pause set or lifted by hand (the form, action_pause): its own, not a reply's
            self._write_workflow({"pause_reason": "manual" if vals["paused_until"] else False})
        return res

    def _check_stage_move(self, stage):
        """Refuse a user's move of the cases into or out of a stage that only a wizard or the
        engine moves cases into or out of (At Agency, Legal, Paid, Written Off)."""
        enter = {
            "agency": self.env._("the Hand Over to Agency wizard"),
            "legal": self.env._("the Legal Handover wizard"),
            "paid": self.env._("the collections run, once the invoices are paid"),
            "written_off": self.env._("the Write Off wizard"),
        }
        leave = {
            "agency": self.env._("Recall on its placement"),
            "legal": self.env._("Recall on its placement"),
            "paid": self.env._("the collections run, when the customer owes again"),
            "written_off": self.env._("Reverse on its write-off"),
        }
        if stage.code in WORKFLOW_STAGE_CODES:
            raise UserError(
                self.env._(
                    "Cases cannot be moved to %(stage)s by hand (%(cases)s): they get there through %(how)s.",
                    stage=stage.name,
                    cases=", ".join(self.mapped("display_name")) or self.env._("new case"),
                    how=enter[stage.code],
                )
            )
        leaving = self.filtered(lambda c: c.stage_id.code in WORKFLOW_STAGE_CODES)
        if leaving:
            case = leaving[0]
            raise UserError(
                self.env._(
                    "Case %(case)s cannot be moved out of %(old)s to %(stage)s by hand: it leaves %(old)s "
                    "through %(how)s.",
                    case=case.display_name,
                    old=case.stage_id.name,
                    stage=stage.name,
                    how=leave[case.stage_id.code],
                )
            )

    def action_pause(self, until):
        """Pause automatic dunning of the cases until the given date (ISO string or date)."""
        check_group(self.env, GROUP_USER, self.env._("pause the dunning of a case"))
        until_date = check_date(self.env, until, self.env._("Pause until"))
        if not until_date or until_date <= self._collection_today():
            raise UserError(
                self.env._(
                    "Cannot pause %(cases)s: give a date after today (YYYY-MM-DD) to pause until.",
                    cases=", ".join(self.mapped("display_name")),
                )
            )
        self.write({"paused_until": until_date})
        self._write_workflow({"pause_reason": "manual"})
        self.env["collection.event"].sudo().create(
            [case._event_vals(self.env._("Dunning paused until %s", until_date)) for case in self]
        )
        return True

    def action_resume(self):
        check_group(self.env, GROUP_USER, self.env._("resume the dunning of a case"))
        paused = self.filtered("paused_until")
        paused.write({"paused_until": False})
        paused._write_workflow({"pause_reason": False})
        self.env["collection.event"].sudo().create([case._event_vals(self.env._("Dunning resumed")) for case in paused])
        return True

    def action_view_invoices(self):
        check_group(self.env, GROUP_USER, self.env._("view the invoices of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(
            domain=[("collection_case_id", "=", self.id)],
            context={"default_move_type": "out_invoice", "create": False},
        )
        return action

    def action_print_statement(self):
        """Customer statement of the case's customer (open items, aging, recent payments)."""
        check_group(self.env, GROUP_USER, self.env._("print a customer statement"))
        return self.env.ref("account_collections.action_report_customer_statement").report_action(self.partner_id)

    def action_send_statement(self):
        """Open the email composer with the customer statement attached."""
        check_group(self.env, GROUP_USER, self.env._("send a customer statement"))
        self.ensure_one()
        return self.partner_id.action_send_collection_statement()

    def action_view_events(self):
        check_group(self.env, GROUP_USER, self.env._("view the log of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_event")
        action.update(domain=[("case_id", "=", self.id)], context={"search_default_group_by_date": False})
        return action

    def _event_vals(self, name, **values):
        self.ensure_one()
        return {**self._event_base(), "name": name, **values}

    def _event_base(self):
        return {
            "case_id": self.id,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "amount_due": self.amount_due,
            "channel": "system",
            "state": "sent",
            "level_id": self.level_id.id,
        }

    def _move_to_stage(self, code, reason=None):
        """Move cases to the stage holding the technical code; logs one event per moved case.
        Their next level follows: none at a stage where dunning stops, back when they leave it."""
        stage = self.env["collection.stage"]._get_by_code(code)
        moving = self.filtered(lambda c: c.stage_id != stage)
        if not moving:
            return
        self.env["collection.event"].sudo()._log(
            [
                case._event_vals(
                    reason or self.env._("Stage moved from %(old)s to %(new)s", old=case.stage_id.name, new=stage.name)
                )
                for case in moving
            ]
        )
        moving._write_workflow({"stage_id": stage.id})
        moving._write_engine_values(moving._next_action_values())

    def _move_to_agreement_stage(self, code):
        """Where an agreement (promise, plan, dispute, settlement) takes its cases: open cases
        only, and never out of an agency's or a lawyer's hands, where dunning must not restart."""
        self.filtered(lambda c: c.state == "open" and c.stage_code not in HANDED_OVER_STAGE_CODES)._move_to_stage(code)

    def _handled_by(self):
        """Who works this handed-over case instead of us, for the customer to contact: the lawyer
        or court of a legal case. Hook: the agency addon gives the agency of the open placement.

        :return: res.partner (empty when the case is ours, or when nobody is known)
        """
        self.ensure_one()
        if self.stage_code == "legal":
            return self.legal_partner_id
        return self.env["res.partner"]

    # ------------------------------------------------------------------ working days
    def activity_schedule(self, act_type_xmlid="", date_deadline=None, summary="", note="", **act_values):
        """Odoo's ``activity_schedule``; a due date on a weekend or a public holiday of the case's
        company moves to its next working day (the company's calendar, see ``engine/working_days.py``)."""
        if self.env.context.get("mail_activity_automation_skip") or not self:
            return super().activity_schedule(act_type_xmlid, date_deadline, summary, note, **act_values)
        day = fields.Date.to_date(date_deadline) if date_deadline else fields.Date.context_today(self)
        deadlines = self.env["collection.engine"]._working_deadlines({(case.company_id, day) for case in self})
        activities = self.env["mail.activity"]
        for deadline in sorted(set(deadlines.values())):
            cases = self.filtered(lambda case, deadline=deadline: deadlines[(case.company_id, day)] == deadline)
            activities |= super(CollectionCase, cases).activity_schedule(
                act_type_xmlid, deadline, summary, note, **act_values
            )
        return activities

    # ------------------------------------------------------------------ engine entry points
    # what one run does is in engine/ (model collection.engine): these call it
    @api.model
    def run_collections(self, date=None, company_ids=None):
        """Refresh the cases, then execute every due level.

        Collections Managers only (the cron runs ``_cron_run_collections`` as superuser).

        :param date: ISO date of the run (default today), to simulate another day
        :param company_ids: restrict to these companies of the caller (default: the caller's current
            companies; every company for the superuser)
        :return: ``{"cases": n, "sent": n, "queued": n, "skipped": n, "failed": n}``
        """
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        return self._run_collections(date=date, company_ids=company_ids)

    @api.model
    def _cron_run_collections(self):
        self._run_collections(commit=True)

    def action_run_collections(self):
        """Manager button: run the engine now, for the current companies."""
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        counts = self._run_collections(company_ids=self.env.companies.ids)
        return self._notification(
            self.env._("Collections run"),
            self.env._(
                "%(cases)s cases worked: %(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed. "
                "Queued reminder emails are rendered and sent by the mail queue in the next minutes.",
                **counts,
            ),
        )

    def action_send_next_reminder(self):
        """Collector button: execute the next level of these cases now, whatever its date, under
        the engine's guards (contact window, weekly cap, opt-outs: logged and deferred)."""
        check_group(self.env, GROUP_USER, self.env._("send the next reminder of a case"))
        today = self._collection_today()
        self._check_not_handed_over()
        cases = self.filtered(lambda c: c.state == "open" and c.next_level_id)
        if not cases:
            raise UserError(
                self.env._(
                    "%(cases)s has no next level to send: the case is closed or its policy has no level left.",
                    cases=", ".join(self.mapped("display_name")),
                )
            )
        # sudo: the engine acts for the company, once the collector's group is checked
        engine = self.env["collection.engine"].sudo()
        counts = engine._run_now(engine._new_run(today, cases.company_id, force=True), cases.sudo())
        return self._notification(
            self.env._("Reminder"),
            self.env._("%(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed.", **counts),
        )

    @api.model
    def _run_collections(self, date=None, company_ids=None, commit=False):
        """One run of the engine (``collection.engine._run``) on ``date`` (ISO, default today)."""
        today = check_date(self.env, date, self.env._("The run date")) or fields.Date.context_today(self)
        companies = self._check_companies(company_ids, self.env._("run the collections engine"))
        # sudo: the engine acts for the company on data derived from the ledger
        engine = self.env["collection.engine"].sudo()
        return engine._run(engine._new_run(today, companies.sudo(), commit=commit))

    @api.model
    def _notification(self, title, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _write_engine_values(self, values_by_case):
        """Write the engine's own fields (level, stage, dates) of many cases in one UPDATE.

        No chatter tracking: each of these changes is an event of the collections log, which
        is the case's history. ``values_by_case``: {case id: {field: value}}, same fields for all.
        """
        if values_by_case:
            self.env.flush_all()
            bulk_update(self, values_by_case)

    def _check_not_handed_over(self):
        """Refuse contacting cases an agency or a lawyer works: they talk to the customer."""
        handed_over = self.filtered(lambda c: c.state == "open" and c.stage_code in HANDED_OVER_STAGE_CODES)
        if handed_over:
            case = handed_over[0]
            raise UserError(
                self.env._(
                    "Case %(case)s is %(stage)s (%(handler)s): we do not contact the customer ourselves any "
                    "more. Recall the case first to dun it again.",
                    case=case.display_name,
                    stage=case.stage_id.name,
                    handler=case._handled_by().display_name or self.env._("handed over"),
                )
            )

    def _check_manual_contact(self, channel):
        """What a collector's button checks before contacting the customers of these cases now:
        the engine's guards (stage, do-not-contact, opt-out, address, contact window, weekly cap).
        Raises a UserError naming each case refused and why."""
        self._check_not_handed_over()
        reasons = {}
        for case in self:
            if case.state != "open":
                reasons[case] = self.env._("the case is closed")
            elif blocked := case._channel_block_reason(channel):
                reasons[case] = blocked[1]
        deferred = self.env["collection.engine"]._contact_guards(
            self - self.browse([case.id for case in reasons]), fields.Datetime.now(), self._collection_today()
        )
        reasons.update({case: reason for case, (reason, _retry, _code) in deferred.items()})
        if reasons:
            raise UserError(
                self.env._(
                    "Not sent:\n%(reasons)s",
                    reasons="\n".join(f"{case.display_name}: {reason}" for case, reason in reasons.items()),
                )
            )

    def _channel_block_reason(self, channel, recipients=None):
        """Why the customer may not be contacted on this channel: (reason code, text), or False.

        :param recipients: for a reminder email, the recipients resolved for the case (see
            ``_collection_recipients``)
        """
        self.ensure_one()
        email_to = recipients[self.id]["partner_ids"] if recipients is not None else None
        return self.partner_id._collection_block_reason(channel, email_to=email_to)

    def _collection_recipients(self, levels, addresses=None):
        """Who the reminder email of each case goes to and copies, resolved for all the cases in
        one query (see ``res.partner._collection_email_recipients``).

        To: the customer's collections contact, else its invoice addresses, else the customer.
        Cc, as the level asks: the salesperson of the invoices the reminder is about, the case's
        collector (an address already in To, bounced or blacklisted is left out).

        :param levels: {case id: collection.level} of the reminder
        :param addresses: the To addresses of customers resolved already ({customer id: [(partner
            id, formatted address)]}, see ``collection.engine._resolve_addresses``): when it has
            every customer of these cases and no Cc is asked, nothing is read
        :return: {case id: {"partner_ids": [To partner ids], "email_to": str,
            "cc": [(Cc partner id, formatted address)], "email_cc": str}}
        """
        cc_wanted = {}
        for case in self:
            level = levels.get(case.id)
            wanted = self.env["res.users"]
            if level and level.cc_salesperson:
                wanted |= case._dunned_invoices().invoice_user_id
            if level and level.cc_collector:
                wanted |= case.user_id
            cc_wanted[case.id] = wanted.partner_id
        cc_partners = self.env["res.partner"].union(*cc_wanted.values())
        if addresses is not None and not cc_partners and all(case.partner_id.id in addresses for case in self):
            to_by_customer, cc_addresses = addresses, {}
        else:
            to_by_customer, cc_addresses = self.partner_id._collection_email_recipients(cc_partners)
        result = {}
        for case in self:
            to = to_by_customer.get(case.partner_id.id, [])
            to_ids = [partner_id for partner_id, _address in to]
            cc = [
                (pid, cc_addresses[pid]) for pid in cc_wanted[case.id].ids if pid in cc_addresses and pid not in to_ids
            ]
            result[case.id] = {
                "partner_ids": to_ids,
                "email_to": ", ".join(address for _partner_id, address in to),
                "cc": cc,
                "email_cc": ", ".join(address for _partner_id, address in cc),
            }
        return result

    def _collection_reminder_cases(self):
        """The cases one reminder email of this case is about: the customer's cases of the
        company sent together (context ``collection_reminder_cases``, set by the dispatch), in
        the order they are listed; the case alone otherwise."""
        self.ensure_one()
        grouped = self.env.context.get("collection_reminder_cases") or {}
        if not grouped:
            return self
        # the cases of every reminder of the batch read together (their invoices too), not one by one
        batch = [case_id for case_ids in grouped.values() for case_id in case_ids]
        return self.browse(grouped.get(self.id) or self.ids).with_prefetch(batch)

    def _dunned_invoices(self):
        """The open invoices a reminder of the case is about."""
        self.ensure_one()
        return self.dunning_invoice_ids

    # ------------------------------------------------------------------ refresh
    @api.model
    def refresh_cases(self, company_ids=None):
        """Create, update and close cases from open receivables.

        Collections Users, on their own companies.

        :param company_ids: restrict to these companies of the caller (default: the caller's current
            companies; every company for the superuser)
        :return: ``{"created": n, "updated": n, "closed": n}``
        """
        what = self.env._("refresh the collection cases")
        check_group(self.env, GROUP_USER, what)
        companies = self._check_companies(company_ids, what)
        # sudo: cases mirror the ledger, the caller's rights on them do not matter (checked above)
        Engine = self.env["collection.engine"].sudo()
        return Engine._refresh(Engine._new_run(self._collection_today(), companies))

    def _check_companies(self, company_ids, what=None):
        """The companies of a run: those passed if they are the caller's, by default the caller's
        current ones (every company for the superuser: the cron)."""
        every = self.env["res.company"].sudo().search([]) if self.env.su else None  # pylint: disable=no-search-all
        return check_companies(self.env, company_ids, what or self.env._("run the collections"), default=every)

    def _next_action_values(self):
        """{case id: {next_level_id, next_action_date}} of the cases where they change."""
        levels = self._policy_level_delays(self.policy_id.ids)
        changes = {}
        for case in self:
            key = self._next_action_for(
                levels.get(case.policy_id.id, []),
                case.level_id.delay_days if case.level_id else None,
                case.oldest_due_date,
                case.paused_until,
                stage_code=case.stage_code if case.state == "open" else "paid",
            )
            if (case.next_level_id.id or False, case.next_action_date) != key:
                changes[case.id] = {"next_level_id": key[0], "next_action_date": key[1]}
        return changes

    @api.model
    def _policy_level_delays(self, policy_ids):
        """{policy id: [(level id, delay days)]} in level order, for next-action computations."""
        policies = self.env["collection.policy"].browse(set(policy_ids) - {False, None})
        return {policy.id: [(level.id, level.delay_days) for level in policy.level_ids] for policy in policies}

    @api.model
    def _next_action_for(self, levels, current_delay, oldest_due_date, paused_until, stage_code=None):
        """(next level id, its date) after the level of delay ``current_delay`` (None: no level
        yet), among ``levels`` [(level id, delay days)]; False where there is none, and for a
        case at a stage where dunning stops (``stage_code``: at an agency, legal, closed)."""
        if stage_code in STOPPED_STAGE_CODES:
            return False, False
        next_level = next((level for level in levels if current_delay is None or level[1] > current_delay), None)
        next_date = oldest_due_date + timedelta(days=next_level[1]) if next_level and oldest_due_date else False
        if paused_until and next_date and next_date < paused_until:
            next_date = paused_until
        return (next_level[0] if next_level else False), next_date

    def _close(self, today):
        if not self:
            return
        self._write_workflow(
            {
                "state": "closed",
                "closed_date": today,
                "amount_due": 0.0,
                "amount_overdue": 0.0,
                "open_invoice_count": 0,
                "next_action_date": False,
                "next_level_id": False,
            }
        )
        self._move_to_stage("paid", reason=self.env._("Nothing left to collect: case closed"))

    # ------------------------------------------------------------------ promises and calls
    def action_new_promise(self):
        """Case form button: a draft promise on what the case dunns, for its full amount."""
        check_group(self.env, GROUP_USER, self.env._("record a promise to pay"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(self.env._("Case %(case)s is closed: there is nothing to promise.", case=self.display_name))
        return self._promise_form_action()

    def _promise_form_action(self, call_event=None):
        invoices = self.dunning_invoice_ids.filtered(lambda m: m.move_type in ("out_invoice", "out_receipt"))
        context = {
            "default_case_id": self.id,
            "default_invoice_ids": [Command.set(invoices.ids)],
            "default_amount": self.currency_id.round(sum(invoices.mapped("amount_residual"))),
        }
        if call_event:
            context["default_call_event_id"] = call_event.id
            context["default_note"] = call_event.note
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay"),
            "res_model": "collection.promise",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": context,
        }

    def action_log_call(self, outcome, note=None, direction="outbound", follow_up_date=None):
        """Log a phone call with the customer (External API).

        :param outcome: reached, no_answer, promise, refused or wrong_number
        :param note: what was said
        :param direction: outbound (we called, counts toward the weekly contact cap) or inbound
        :param follow_up_date: ISO date of a follow-up activity for the collector (optional)
        :return: id of the ``collection.event`` logged
        """
        check_group(self.env, GROUP_USER, self.env._("log a call"))
        return self._log_call(outcome, note=note, direction=direction, follow_up_date=follow_up_date).id

    def _log_call(self, outcome, note=None, direction="outbound", follow_up_date=None):
        self.ensure_one()
        outcomes = dict(CALL_OUTCOMES)
        if not isinstance(outcome, str) or outcome not in outcomes:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: %(outcome)r is not a call outcome. Use one of: %(valid)s.",
                    case=self.display_name,
                    outcome=outcome,
                    valid=", ".join(outcomes),
                )
            )
        if not isinstance(direction, str) or direction not in ("outbound", "inbound"):
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: direction must be outbound or inbound, not %(direction)r.",
                    case=self.display_name,
                    direction=direction,
                )
            )
        if note and not isinstance(note, str):
            raise UserError(self.env._("Cannot log a call on %(case)s: the note must be text.", case=self.display_name))
        today = self._collection_today()
        try:
            follow_up = fields.Date.to_date(follow_up_date) if follow_up_date else False
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: the follow-up date %(date)r is not an ISO date (YYYY-MM-DD).",
                    case=self.display_name,
                    date=follow_up_date,
                )
            ) from error
        if follow_up and follow_up < today:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: the follow-up date %(date)s is in the past. Pick today or later.",
                    case=self.display_name,
                    date=follow_up,
                )
            )
        if direction == "outbound":
            over_limit = self.env["collection.engine"]._call_limit_reasons(self, fields.Datetime.now())
            if over_limit:
                raise UserError(
                    self.env._(
                        "Cannot log a call on %(case)s: %(reason)s.", case=self.display_name, reason=over_limit[self]
                    )
                )
        selection = dict(self.env["collection.event"]._fields["outcome"]._description_selection(self.env))
        # sudo: the log is append-only, users log their calls through this method only
        Event = self.env["collection.event"].sudo()
        event = Event.create(
            self._event_vals(
                self.env._("Call: %(outcome)s", outcome=selection[outcome]),
                channel="call",
                direction=direction,
                state="sent",
                outcome=outcome,
                note=note or False,
                invoice_ids=[Command.set(self.dunning_invoice_ids.ids)],
            )
        )
        if follow_up:
            self.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=follow_up,
                summary=self.env._("Follow up on the call of %(date)s", date=today),
                note=note or "",
                user_id=(self.user_id or self.partner_id.collection_user_id or self.env.user).id,
            )
        self._collection_end_reply_wait()
        return event

    # ------------------------------------------------------------------ replies
    # A reminder's message is posted on its case (Odoo's mass mail composer), so Odoo's mail gateway
    # routes the customer's reply to the case (``message_route``, by References/In-Reply-To) and posts
    # it there as superuser: the hook below sees it. A collector's answer is a message sent from the
    # case (not a log note) or a logged call (``_log_call``). Bounces: ``models/mail_thread.py``.
    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if message.model == self._name and len(self) == 1:
            if self._collection_is_customer_reply(message):
                self._collection_receive_reply(message)
            elif self._collection_is_answer(message):
                self._collection_end_reply_wait(answer=message)
        return result

    def _collection_is_customer_reply(self, message):
        """An email from outside, posted by the mail gateway: superuser only, so that no user's
        call (RPC included, which never runs as superuser) passes for a customer's reply."""
        return self.env.su and message.message_type == "email" and not self._collection_internal_author(message)

    def _collection_is_answer(self, message):
        """A message a collector sends from the case to its followers (*Send message*, or their
        email reply to it), not a log note; another employee's (a salesperson in copy answering
        all) is no answer to the customer."""
        # sudo: the author's groups, whoever posts (the gateway, a collector)
        users = message.author_id.sudo().with_context(active_test=False).user_ids
        return (
            message.message_type in ("comment", "email")
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and any(not user.share and user.has_group(GROUP_USER) for user in users)
        )

    def _collection_internal_author(self, message):
        # sudo: whether the author is an employee, whoever posts (the gateway, a collector)
        return any(not user.share for user in message.author_id.sudo().with_context(active_test=False).user_ids)

    def _collection_reply_user(self):
        """Who answers the customer: the case's collector, else the customer's, else the administrator."""
        self.ensure_one()
        return self.user_id or self.partner_id.collection_user_id or self.env.ref("base.user_admin")

    def _collection_receive_reply(self, message):
        """A customer's email on the case: an inbound event with the message, automatic contact
        paused for the company's days (``collection_reply_pause_days``; a longer pause set by hand
        stays) and a *Reply to customer* activity for the collector, due today (the company's next
        working day when today is not one). The pause and the activity end when a collector answers."""
        self.ensure_one()
        today = self._collection_today()
        sender = message.author_id.display_name or message.email_from or self.env._("an unknown sender")
        # when it arrived (the Date header is the sender's clock)
        now = fields.Datetime.now()
        vals = {"awaiting_reply_since": now}
        days = self.company_id.collection_reply_pause_days
        until = today + timedelta(days=days)
        if days and self.state == "open" and (not self.paused_until or self.paused_until < until):
            vals.update(paused_until=until, pause_reason="reply")
        self._write_workflow(vals)
        name = self.env._("Reply from %(sender)s: %(subject)s", sender=sender, subject=message.subject or "-")
        if vals.get("pause_reason") == "reply":
            name = self.env._("%(reply)s (dunning paused until %(date)s)", reply=name, date=until)
        # sudo: the log is the system's; the gateway posts the reply as superuser
        self.env["collection.event"].sudo().create(
            self._event_vals(
                name,
                channel="email",
                direction="inbound",
                state="sent",
                date=now,
                mail_message_id=message.id,
                note=html2plaintext(message.body or "")[:REPLY_NOTE_LENGTH] or False,
                user_id=False,
            )
        )
        reply_type = self.env.ref("account_collections.mail_activity_type_collection_reply")
        if not self.activity_ids.filtered(lambda a: a.activity_type_id == reply_type):
            self.activity_schedule(
                activity_type_id=reply_type.id,
                date_deadline=today,
                summary=self.env._("Reply to %(sender)s", sender=sender),
                user_id=self._collection_reply_user().id,
            )

    def _collection_end_reply_wait(self, answer=None):
        """A collector answered the customer (``answer``: the message sent from the case; a logged
        call logs itself): the pause of a reply ends (a pause set by hand stays) and the *Reply to
        customer* activity is done, both in the log."""
        reply_type = self.env.ref("account_collections.mail_activity_type_collection_reply")
        # sudo: the gateway and the collectors' messages end the wait alike (the caller posts on the case)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "in", self.ids), ("activity_type_id", "=", reply_type.id)]
            )
        )
        waiting = self.filtered(lambda c: c.awaiting_reply_since or c.pause_reason == "reply") | self.browse(
            activities.mapped("res_id")
        )
        if not waiting:
            return
        # who answered: the author of the message (an email reply comes through the gateway, as superuser)
        author = self.env.user
        if answer:
            author = (
                answer.author_id.sudo().with_context(active_test=False).user_ids.filtered(lambda u: not u.share)[:1]
            )
        user = author.name or answer.author_id.name
        events = []
        for case in waiting:
            if answer:
                events.append(
                    case._event_vals(
                        self.env._(
                            "%(user)s answered the customer: %(subject)s", user=user, subject=answer.subject or "-"
                        ),
                        channel="email",
                        user_id=author.id or False,
                        mail_message_id=answer.id,
                        note=html2plaintext(answer.body or "")[:REPLY_NOTE_LENGTH] or False,
                    )
                )
            if case.pause_reason == "reply":
                events.append(case._event_vals(self.env._("Dunning resumed: the customer got an answer")))
        reply_paused = waiting.filtered(lambda c: c.pause_reason == "reply")
        waiting._write_workflow({"awaiting_reply_since": False})
        reply_paused._write_workflow({"paused_until": False, "pause_reason": False})
        self.env["collection.event"].sudo().create(events)
        # the collector who answers may not be the one the activity was for
        activities.with_user(self.env.user).sudo().action_feedback(
            feedback=self.env._("Answered by %(user)s", user=user)
        )

    # ------------------------------------------------------------------ payment plans
    def action_new_payment_plan(self):
        """Open a new payment plan for the case, with the invoices being dunned."""
        check_group(self.env, GROUP_USER, self.env._("propose a payment plan"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Plan"),
            "res_model": "collection.payment.plan",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_case_id": self.id,
                "default_invoice_ids": [
                    Command.set(self.dunning_invoice_ids.filtered(lambda m: m.move_type == "out_invoice").ids)
                ],
                "default_user_id": (self.user_id or self.env.user).id,
            },
        }

    # ------------------------------------------------------------------ settlement offers
    def _settlement_invoices(self):
        """Invoices a new settlement offer covers by default: the case's open customer invoices."""
        self.ensure_one()
        return self.open_invoice_ids.filtered(
            lambda m: m.move_type in ("out_invoice", "out_receipt")
            and m.collection_hold not in ("promise", "plan", "settlement")
        )

    def action_new_settlement(self):
        """Case form button: a draft settlement offer on the case's open invoices."""
        check_group(self.env, GROUP_USER, self.env._("offer a settlement"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(
                self.env._("Case %(case)s is closed: there is nothing left to settle.", case=self.display_name)
            )
        invoices = self._settlement_invoices()
        if not invoices:
            raise UserError(
                self.env._(
                    "Case %(case)s has no open invoice free of a promise, payment plan or settlement offer: "
                    "end that agreement first.",
                    case=self.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Settlement Offer"),
            "res_model": "collection.settlement",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_case_id": self.id,
                "default_invoice_ids": [Command.set(invoices.ids)],
                "default_amount_settled": self.currency_id.round(sum(invoices.mapped("amount_residual"))),
            },
        }

    # ------------------------------------------------------------------ disputes
    def action_new_dispute(self):
        """Case form button: a new dispute on this case (on its only dunned invoice, if one)."""
        check_group(self.env, GROUP_USER, self.env._("record a dispute"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(
                self.env._("Case %(case)s is closed: there is no open invoice to dispute.", case=self.display_name)
            )
        disputable = self.open_invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.collection_hold != "dispute"
        )
        context = {"default_case_id": self.id}
        if len(disputable) == 1:
            context["default_invoice_id"] = disputable.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": context,
        }

    def _sync_dispute_stage(self):
        """Disputed stage while every dunnable invoice of the case is disputed; back to reminded after.

        An invoice is dunnable when open, not excluded from dunning and not time-barred; the
        other holds (promise, plan) count as not disputed.
        """
        to_disputed, to_reminded = self.browse(), self.browse()
        for case in self.filtered(lambda c: c.state == "open"):
            candidates = case.open_invoice_ids.filtered(lambda m: not m.collection_blocked and not m.time_barred)
            all_disputed = bool(candidates) and all(m.collection_hold == "dispute" for m in candidates)
            if all_disputed and case.stage_code in DISPUTABLE_STAGE_CODES:
                to_disputed |= case
            elif not all_disputed and case.stage_code == "disputed":
                to_reminded |= case
        to_disputed._move_to_agreement_stage("disputed")
        to_reminded._move_to_agreement_stage("reminded")

    # ------------------------------------------------------------------ legal handover
    # ``_legal_handover(partner, note)`` is the entry point: other addons (e.g. agencies of type
    # legal) call it to hand a case over the same way
    def action_legal_handover(self):
        """Case form button: hand the case over to a lawyer or a court (wizard)."""
        check_group(self.env, GROUP_USER, self.env._("hand a case over to legal"))
        self.ensure_one()
        self._check_legal_handover()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_legal_handover")
        action["context"] = {"default_case_id": self.id}
        return action

    def action_print_legal_file(self):
        check_group(self.env, GROUP_USER, self.env._("print the legal file of a case"))
        self.ensure_one()
        return self.env.ref("account_collections.action_report_collection_legal_file").report_action(self)

    def _check_legal_handover(self):
        """Only open cases, and never a time-barred debt: it may only be paid voluntarily."""
        for case in self:
            if case.state != "open":
                raise UserError(
                    self.env._(
                        "Case %(case)s is closed: there is nothing left to claim in court.", case=case.display_name
                    )
                )
            barred = case.open_invoice_ids.filtered("time_barred")
            if barred:
                raise UserError(
                    self.env._(
                        "Case %(case)s cannot be handed over to a lawyer or a court: %(invoices)s are time-barred "
                        "(due more than %(years)s years ago, the statute of limitations of %(company)s). "
                        "A time-barred debt may only be collected by voluntary payment: write these invoices off "
                        "(reason Time-barred) or leave them to the customer's goodwill, then hand the case over.",
                        case=case.display_name,
                        invoices=", ".join(barred.mapped("name")),
                        years=case.company_id.collection_limitation_years,
                        company=case.company_id.name,
                    )
                )

    def _legal_handover(self, partner, note=None):
        """Hand the cases over to ``partner`` (lawyer or court): legal stage (internal dunning
        stops), one logged event per case with the legal file PDF attached to it and to the case.

        :return: the legal file attachments
        """
        self._check_legal_handover()
        today = self._collection_today()
        self._write_workflow({"legal_partner_id": partner.id, "legal_date": today, "legal_note": note or False})
        self._move_to_stage("legal", reason=self.env._("Handed over to %s: internal dunning stops", partner.name))
        attachments = self.env["ir.attachment"]
        for case in self:
            attachment = case._attach_legal_file()
            case._write_workflow({"legal_file_id": attachment.id})
            self.env["collection.event"].sudo().create(
                case._event_vals(
                    self.env._("Legal file sent to %s", partner.name),
                    note=note or False,
                    attachment_id=attachment.id,
                    invoice_ids=[(6, 0, case.open_invoice_ids.ids)],
                )
            )
            case.message_post(body=self.env._("Case handed over to %s.", partner.name), attachment_ids=attachment.ids)
            attachments |= attachment
        return attachments

    def _attach_legal_file(self):
        """Render the legal file of the case (one case per PDF) and attach it to the case."""
        self.ensure_one()
        report = self.env.ref("account_collections.action_report_collection_legal_file")
        content, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, res_ids=self.ids)
        return self.env["ir.attachment"].create(
            {
                "name": self.env._("Legal file %(case)s %(date)s.pdf", case=self.name, date=self._collection_today()),
                "raw": content,
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _legal_file_data(self):
        """What the legal file shows, in one place (the report template reads it)."""
        self.ensure_one()
        invoices = self.open_invoice_ids
        events = self.event_ids.sorted(lambda e: (e.date, e.id))
        terms = []
        for invoice in invoices:
            for text in (invoice.invoice_payment_term_id.note, invoice.narration):
                if text and text not in terms:
                    terms.append(text)
        return {
            "invoices": invoices,
            "events": events,
            "terms": terms,
            "costs": self.legal_cost_ids.sorted(lambda c: (c.date, c.id)),
            "today": self._collection_today(),
        }

    # ------------------------------------------------------------------ write-offs
    def action_write_off(self):
        """Case form button: write off the case's open invoices (wizard)."""
        check_group(self.env, GROUP_USER, self.env._("write off a case"))
        self.ensure_one()
        invoices = self.open_invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_write_off_wizard")
        action["context"] = {
            "default_case_id": self.id,
            "default_invoice_ids": [Command.set(invoices.ids)],
        }
        return action

    # ------------------------------------------------------------------ smart buttons
    def action_view_promises(self):
        check_group(self.env, GROUP_USER, self.env._("view the promises of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_promise")
        action.update(domain=[("case_id", "=", self.id)], context={"default_case_id": self.id})
        return action

    def action_view_payment_plans(self):
        check_group(self.env, GROUP_USER, self.env._("view the payment plans of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_payment_plan")
        action.update(
            domain=[("case_id", "=", self.id)],
            context={"default_case_id": self.id, "search_default_active": False},
        )
        return action

    def action_view_settlements(self):
        check_group(self.env, GROUP_USER, self.env._("view the settlements of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_settlement")
        action.update(domain=[("case_id", "=", self.id)], context={"default_case_id": self.id})
        return action

    def action_view_disputes(self):
        check_group(self.env, GROUP_USER, self.env._("view the disputes of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_dispute")
        action.update(
            domain=[("case_id", "=", self.id)],
            context={"default_case_id": self.id, "search_default_filter_open": 1},
        )
        return action

    def action_view_write_offs(self):
        check_group(self.env, GROUP_USER, self.env._("view the write-offs of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_write_off")
        action.update(domain=[("case_id", "=", self.id)], context={"create": False})
        return action

    # ------------------------------------------------------------------ dashboard
    @api.model
    def get_dashboard_data(self):
        """Everything the collections dashboard shows, for the user's current companies, converted into
        the currency of the current company. ``total_overdue`` and ``top_overdue`` deduct each customer's
        credits (unapplied payments, credit notes) like its case does; ``buckets`` are the plain aging.

        :return: ``{"date", "currency_id", "currency", "total_due", "total_overdue", "buckets": [{"code",
            "label", "amount"}], "recovered_month", "open_cases", "dso_trend": [{"month", "dso", "cei",
            "receivables", "credit_sales"}], "top_overdue": [{"partner_id", "partner", "amount_overdue",
            "days_overdue", "case_id"}], "disputes_open", "disputes_overdue", "cash_forecast": get_cash_forecast()}``
        """
        check_group(self.env, GROUP_USER, self.env._("read the collections dashboard"))
        today = fields.Date.context_today(self)
        companies = self.env.companies
        currency = self.env.company.currency_id
        rates = {company.id: self._dashboard_rate(company, currency, today) for company in companies}

        aging = self.env["collection.aged.receivable"].get_aging(date=today, company_ids=companies.ids)
        labels = dict(self.env["collection.aged.receivable"]._fields["aging_bucket"]._description_selection(self.env))
        amounts = dict.fromkeys([code for code, _label, _first, _last in AGING_BUCKETS], 0.0)
        for company_aging in aging["companies"]:
            for code in amounts:
                amounts[code] += company_aging["buckets"][code] * rates[company_aging["company_id"]]
        buckets = [
            {"code": code, "label": labels[code], "amount": currency.round(amounts[code])}
            for code, _label, _first, _last in AGING_BUCKETS
        ]
        total_due = sum(amounts.values())
        total_overdue, top_overdue = self._dashboard_overdue(companies, rates, today)

        return {
            "date": fields.Date.to_string(today),
            "currency_id": currency.id,
            "currency": currency.name,
            "total_due": currency.round(total_due),
            "total_overdue": currency.round(total_overdue),
            "buckets": buckets,
            "recovered_month": currency.round(self._dashboard_recovered(companies, rates, today)),
            "open_cases": self.search_count([("state", "=", "open"), ("company_id", "in", companies.ids)]),
            "dso_trend": self._dashboard_dso_trend(companies, rates, today),
            "top_overdue": top_overdue,
            "cash_forecast": self.get_cash_forecast(),
            **self._dashboard_disputes(companies),
        }

    @api.model
    def _dashboard_disputes(self, companies):
        """Open disputes, and those of them past their deadline."""
        Dispute = self.env["collection.dispute"].sudo()  # sudo: counts only, in the user's companies
        domain = [("state", "=", "open"), ("company_id", "in", companies.ids)]
        return {
            "disputes_open": Dispute.search_count(domain),
            "disputes_overdue": Dispute.search_count([*domain, ("is_overdue", "=", True)]),
        }

    @api.model
    def _dashboard_rate(self, company, currency, date):
        if company.currency_id == currency:
            return 1.0
        return self.env["res.currency"]._get_conversion_rate(company.currency_id, currency, company, date)

    @api.model
    def _rates_sql(self, rates):
        return SQL(
            "(VALUES %s) AS rate(company_id, rate)",
            SQL(", ").join(SQL("(%s, %s::numeric)", company_id, rate) for company_id, rate in rates.items()),
        )

    @api.model
    def _dashboard_recovered(self, companies, rates, today):
        """Payments matched with customer invoices this month (by reconciliation date), company currency."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(SUM(apr.amount * rate.rate), 0)
                  FROM account_partial_reconcile apr
                  JOIN %(rates)s ON rate.company_id = apr.company_id
                  JOIN account_move_line invoice_line ON invoice_line.id = apr.debit_move_id
                  JOIN account_move invoice ON invoice.id = invoice_line.move_id
                  JOIN account_move_line payment_line ON payment_line.id = apr.credit_move_id
                  JOIN account_move payment ON payment.id = payment_line.move_id
                 WHERE apr.max_date BETWEEN %(month_start)s AND %(today)s
                   AND invoice.move_type IN ('out_invoice', 'out_receipt')
                   AND (payment.origin_payment_id IS NOT NULL OR payment.statement_line_id IS NOT NULL)
                """,
                rates=self._rates_sql(rates),
                month_start=today.replace(day=1),
                today=today,
            )
        )
        return float(rows[0][0])

    @api.model
    def _dashboard_dso_trend(self, companies, rates, today):
        """DSO and CEI per month over the last 12 months, all the companies together."""
        months = {}
        for row in self.env["collection.kpi.month"].get_kpis(company_ids=companies.ids, months=12, date=today):
            month = months.setdefault(
                row["month"],
                {
                    "month": row["month"],
                    "days": row["days"],
                    "opening": 0.0,
                    "closing": 0.0,
                    "current": 0.0,
                    "sales": 0.0,
                },
            )
            rate = rates[row["company_id"]]
            month["opening"] += row["receivable_opening"] * rate
            month["closing"] += row["receivable_closing"] * rate
            month["current"] += row["receivable_current"] * rate
            month["sales"] += row["credit_sales"] * rate
        trend = []
        for month in sorted(months.values(), key=lambda month: month["month"]):
            collectable = month["opening"] + month["sales"] - month["current"]
            trend.append(
                {
                    "month": month["month"],
                    "receivables": round(month["closing"], 2),
                    "credit_sales": round(month["sales"], 2),
                    "dso": round(month["closing"] / month["sales"] * month["days"], 1) if month["sales"] else 0.0,
                    "cei": round((month["opening"] + month["sales"] - month["closing"]) * 100 / collectable, 1)
                    if collectable
                    else 0.0,
                }
            )
        return trend

    @api.model
    def _dashboard_overdue(self, companies, rates, today):
        """What customers owe past due, credits deducted like on their cases (a customer's overdue is at
        most its balance: unapplied payments and credit notes count against it), and the customers owing
        the most, with the case to open.

        :return: ``(total overdue, [{"partner_id", "partner", "amount_overdue", "days_overdue", "case_id"}])``
        """
        aging = self.env["collection.aged.receivable"]
        aging._flush_aging()
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH per_partner AS (
                    SELECT aging.partner_id,
                           GREATEST(LEAST(
                               SUM(aging.amount_total * rate.rate),
                               SUM((aging.amount_total - aging.amount_current) * rate.rate)
                           ), 0) AS amount_overdue,
                           MAX(aging.days_overdue) FILTER (WHERE aging.amount_total > 0) AS days_overdue
                      FROM (%(aging)s) aging
                      JOIN %(rates)s ON rate.company_id = aging.company_id
                     GROUP BY aging.partner_id
                )
                SELECT partner_id, amount_overdue, days_overdue, SUM(amount_overdue) OVER () AS total_overdue
                  FROM per_partner
                 WHERE amount_overdue > 0
                 ORDER BY amount_overdue DESC, partner_id
                 LIMIT %(limit)s
                """,
                aging=aging._aging_query(today, companies.ids),
                rates=self._rates_sql(rates),
                limit=TOP_OVERDUE_LIMIT,
            )
        )
        total_overdue = float(rows[0]["total_overdue"]) if rows else 0.0
        partners = self.env["res.partner"].browse([row["partner_id"] for row in rows if row["partner_id"]])
        cases = self.search(
            [("state", "=", "open"), ("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
            order="amount_overdue desc",
        )
        case_by_partner = {}
        for case in cases:
            case_by_partner.setdefault(case.partner_id.id, case.id)
        currency = self.env.company.currency_id
        partner_names = {partner.id: partner.display_name for partner in partners}
        top = [
            {
                "partner_id": row["partner_id"] or False,
                "partner": partner_names.get(row["partner_id"]) or self.env._("(no customer)"),
                "amount_overdue": currency.round(float(row["amount_overdue"])),
                "days_overdue": max(row["days_overdue"] or 0, 0),
                "case_id": case_by_partner.get(row["partner_id"], False),
            }
            for row in rows
        ]
        return total_overdue, top

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_pay_invoices(self, invoice_ids):
        """Demo data helper: register a full payment for the given invoices."""
        invoices = self.env["account.move"].browse(invoice_ids)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {}
        )._create_payments()

    # the demo desk's history: what the collectors and the engine did before the database was
    # handed over, called from demo/collection_case_demo.xml once the demo customers, invoices and
    # agreements exist. Every step goes through the suite's public entry points, as the user who
    # would take it; the days before today are simulated with the run date (``collection_date``).
    @api.model
    def _demo_activate_languages(self, codes):
        """Activate the languages of the demo customers, with the translations of every module."""
        for code in codes:
            self.env["res.lang"]._activate_lang(code)
        modules = self.env["ir.module.module"].search([("state", "in", ("installed", "to install", "to upgrade"))])
        modules._update_translations(filter_lang=list(codes))

    @api.model
    def _demo_register_payment(self, invoice, amount, day):
        """Register a customer payment of ``amount`` on ``invoice``, dated ``day``."""
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": amount, "payment_date": day}
        )._create_payments()

    @api.model
    def _demo_customer_reply(self):
        """Pacific Print answers the reminder emailed by today's run, as Odoo's mail gateway posts a
        reply on the case (the same hook logs it, pauses the case and asks the collector to answer)."""
        customer = self.env.ref("account_collections.demo_partner_pacific_print")
        reminder = self.env["collection.event"].search(
            [
                ("partner_id", "=", customer.id),
                ("channel", "=", "email"),
                ("direction", "=", "outbound"),
                ("level_id", "!=", False),
                ("mail_message_id", "!=", False),
            ],
            order="id desc",
            limit=1,
        )
        if not reminder:
            return
        # the gateway posts the reply as superuser (the demo data loads as superuser too)
        reminder.case_id.sudo().with_context(mail_notify_force_send=False).message_post(
            body=Markup(
                "<p>Hello,</p><p>Thank you for the reminder. Our accounts payable team cannot approve the invoice "
                "without our purchase order number on it: could you send us a corrected copy? We will pay it "
                "as soon as we have it.</p><p>Kind regards,<br/>Pacific Print Co, Accounts Payable</p>"
            ),
            subject=self.env._("Re: %(subject)s", subject=reminder.mail_message_id.subject or reminder.name),
            message_type="email",
            subtype_xmlid="mail.mt_comment",
            author_id=customer.id,
            email_from=customer.email_formatted,
            parent_id=reminder.mail_message_id.id,
        )

    @api.model
    def _demo_desk_history(self):
        """Calls, a promise kept and one broken, a write-off, the day's engine run with its
        letters printed, a legal handover and a settlement offer."""
        today = fields.Date.context_today(self)
        company = self.env.ref("base.main_company")
        manager = self.env.ref("base.user_admin")

        def invoice(xmlid):
            return self.env.ref(f"account_collections.{xmlid}")

        def env_of(user, days_ago=0):
            """The environment of ``user`` acting ``days_ago`` days ago."""
            context = dict(self.env.context)
            if days_ago:
                context["collection_date"] = today - timedelta(days=days_ago)
            return self.env(user=user, su=False, context=context)

        danube_invoice = invoice("demo_invoice_danube_hotels_1")
        danube = danube_invoice.collection_case_id
        vega_invoice = invoice("demo_invoice_vega_retail_2")
        vega = vega_invoice.collection_case_id
        kessler = invoice("demo_invoice_kessler_gmbh_1").collection_case_id
        maple_invoice = invoice("demo_invoice_maple_clinic_1")
        bluewave = invoice("demo_invoice_azure_interior_b2b_1").collection_case_id

        # three weeks ago: Danube Hotels promised on the phone to pay in full within eight days
        env = env_of(danube.user_id, 20)
        danube.with_env(env).action_log_call(
            "promise", note="The finance manager will pay in full once the season's deposits are in."
        )
        env["collection.promise"].create(
            {
                "case_id": danube.id,
                "invoice_ids": [Command.set(danube_invoice.ids)],
                "amount": danube_invoice.amount_residual,
                "promised_date": today - timedelta(days=12),
                "note": "Promised on the phone by the finance manager.",
            }
        ).action_confirm()
        # ... and Vega Retail promised part of its last invoice, and paid it ten days ago
        env_of(vega.user_id, 20)["collection.promise"].create(
            {
                "case_id": vega.id,
                "invoice_ids": [Command.set(vega_invoice.ids)],
                "amount": 400.0,
                "promised_date": today - timedelta(days=8),
                "note": "400 now, the rest with their next order.",
            }
        ).action_confirm()
        self._demo_register_payment(vega_invoice, 400.0, today - timedelta(days=10))
        # two days ago: nobody answered at Kessler
        kessler.with_env(env_of(kessler.user_id, 2)).action_log_call(
            "no_answer", note="Voicemail of the accounts department: left a message asking for a call back."
        )

        # the clinic closed down: its debt is written off (entry posted, case closed)
        env_of(manager)["collection.write.off"].create(
            {
                "case_id": maple_invoice.collection_case_id.id,
                "invoice_ids": [Command.set(maple_invoice.ids)],
                "reason_code": "uncollectible",
                "reason": "The clinic closed down and its owner cannot be reached: "
                "a claim would cost more than it recovers.",
            }
        ).action_post()

        # today's run, as the cron runs it. The contact window is open all day, weekends included,
        # for this run only: the demo is installed at any hour of any day, its log must not depend on it.
        window = {
            name: company[name]
            for name in ("collection_window_start", "collection_window_end", "collection_contact_weekends")
        }
        company.write(
            {"collection_window_start": 0.0, "collection_window_end": 24.0, "collection_contact_weekends": True}
        )
        self._run_collections()
        self.env["collection.event"].dispatch_emails()
        company.write(window)
        # a customer opened the pay link of its reminder: the click is in the case's log
        reminder = self.env["collection.event"].search(
            [("channel", "=", "email"), ("mail_mail_id", "!=", False), ("level_id", "!=", False)], order="id", limit=1
        )
        tracked = re.search(rf"/r/(\w+)/c/{reminder.id}/", reminder.mail_mail_id.body_html or "")
        if tracked:
            self.env["link.tracker.click"].sudo().add_click(
                tracked.group(1), ip="127.0.0.1", collection_event_id=reminder.id
            )
        self._demo_customer_reply()
        # the letters of the run, printed by the manager
        Event = env_of(manager)["collection.event"]
        letters = Event.search([("channel", "=", "letter"), ("state", "=", "queued")])
        if letters and self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok":
            letters.action_print_letters()

        # after its final notice, Bluewave's claim goes to the lawyers, with the legal file
        env = env_of(bluewave.user_id)
        lawyer = self.env.ref("account_collections.demo_partner_lawyer")
        env["collection.legal.handover"].create(
            {
                "case_id": bluewave.id,
                "lawyer_id": lawyer.id,
                "note": "Please send a formal notice, then file a claim for both invoices.",
            }
        ).action_confirm()
        env["collection.legal.cost"].create(
            {
                "case_id": bluewave.id,
                "name": "Formal notice by the lawyer",
                "partner_id": lawyer.id,
                "amount": 180.0,
                "recharge": True,
            }
        )

        # Danube broke its promise (the run logged it): 10 % off if it pays within two weeks
        env_of(danube.user_id)["collection.settlement"].create(
            {
                "case_id": danube.id,
                "invoice_ids": [Command.set(danube_invoice.ids)],
                "discount_percentage": 10.0,
                "deadline": today + timedelta(days=14),
                "note": "Full and final settlement of the invoice if paid by the deadline.",
            }
        ).action_offer()
