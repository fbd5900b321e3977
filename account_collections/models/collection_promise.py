from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import format_amount

from ..tools import GROUP_USER, check_group

PROMISE_STATES = [
    ("draft", "Draft"),
    ("open", "Open"),
    ("kept", "Kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
# invoices in these payment states have nothing left to promise
SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")


class CollectionPromise(models.Model):
    """The customer promises to pay an amount by a date: dunning waits on the invoices it covers.

    Confirmed, the promise puts its invoices on hold (``collection_hold = "promise"``) and
    moves the case to the promised stage. The daily run then settles it by itself: kept as
    soon as the covered invoices got paid the promised amount since the confirmation, broken
    when the promised date plus the grace days passed without it. Either way the hold is
    lifted; a broken promise also asks the collector to follow up and escalation resumes.
    """

    _name = "collection.promise"
    _description = "Promise to Pay"
    _inherit = ["collection.agreement.mixin", "collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "promised_date desc, id desc"
    _check_company_auto = True

    # the terms of the promise: fixed once confirmed
    _LOCKED_FIELDS = frozenset({"case_id", "invoice_ids", "amount", "promised_date", "grace_days"})
    # set by the actions and the daily run (kept or broken) only
    _workflow_fields = {
        "state": ("action_confirm", "action_cancel"),
        "confirm_date": ("action_confirm",),
        "amount_residual_at_confirm": ("action_confirm",),
        "close_date": ("action_cancel",),
    }

    invoice_ids = fields.Many2many(
        "account.move",
        "collection_promise_account_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('collection_case_id', '=', case_id), ('state', '=', 'posted'),"
        " ('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]",
        help="Open invoices of the case the customer promised to pay: no reminder about them while the "
        "promise is open. Left empty, the promise covers every invoice the case dunns.",
    )
    amount = fields.Monetary(required=True, tracking=True, help="Amount the customer promised to pay.")
    amount_residual = fields.Monetary(
        string="Still Due", compute="_compute_amount_residual", help="What the covered invoices still owe today."
    )
    amount_residual_at_confirm = fields.Monetary(
        string="Due at Confirmation", readonly=True, copy=False, help="What the covered invoices owed when confirmed."
    )
    amount_paid = fields.Monetary(
        string="Paid Since", compute="_compute_amount_residual", help="Paid on the covered invoices since confirmation."
    )
    promised_date = fields.Date(required=True, tracking=True, help="Date by which the customer promised to pay.")
    grace_days = fields.Integer(
        default=3, tracking=True, help="Days after the promised date before an unpaid promise counts as broken."
    )
    deadline_date = fields.Date(
        compute="_compute_deadline_date",
        store=True,
        index=True,
        help="Promised date plus the grace days: the promise breaks the day after, unless kept.",
    )
    state = fields.Selection(
        PROMISE_STATES, default="draft", required=True, readonly=True, copy=False, tracking=True, index=True
    )
    confirm_date = fields.Date(string="Confirmed On", readonly=True, copy=False)
    close_date = fields.Date(string="Closed On", readonly=True, copy=False)
    note = fields.Text()
    cancel_reason = fields.Char(string="Cancellation Reason", copy=False, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    call_event_id = fields.Many2one(
        "collection.event",
        string="Call",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The logged call in which the customer made this promise.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends("invoice_ids.amount_residual", "amount_residual_at_confirm", "state")
    def _compute_amount_residual(self):
        for promise in self:
            residual = sum(promise.invoice_ids.mapped("amount_residual"))
            promise.amount_residual = residual
            promise.amount_paid = (
                max(0.0, promise.amount_residual_at_confirm - residual) if promise.confirm_date else 0.0
            )

    @api.depends("promised_date", "grace_days")
    def _compute_deadline_date(self):
        for promise in self:
            promise.deadline_date = (
                promise.promised_date + timedelta(days=promise.grace_days) if promise.promised_date else False
            )

    @api.depends("case_id", "amount", "promised_date")
    def _compute_display_name(self):
        for promise in self:
            if not promise.case_id:
                promise.display_name = self.env._("New Promise")
                continue
            promise.display_name = self.env._(
                "%(case)s: %(amount)s by %(date)s",
                case=promise.case_id.name or promise.partner_id.display_name,
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=promise.promised_date,
            )

    # ------------------------------------------------------------------ validation
    @api.constrains("amount", "promised_date", "grace_days", "invoice_ids", "case_id")
    def _check_promise(self):
        for promise in self.filtered(lambda p: p.state in ("draft", "open")):
            promise._validate()

    def _validate(self):
        """Raise a ValidationError naming the promise and the fix when it cannot stand."""
        self.ensure_one()
        name = self.display_name
        today = self.case_id._collection_today()
        currency = self.currency_id
        if not self.invoice_ids:
            raise ValidationError(
                self.env._("Promise %(promise)s covers no invoice: select the open invoices it pays.", promise=name)
            )
        strangers = self.invoice_ids.filtered(lambda m: m.collection_case_id != self.case_id)
        if strangers:
            raise ValidationError(
                self.env._(
                    "Promise %(promise)s covers %(invoices)s, not invoices of case %(case)s: "
                    "remove them or record the promise on their own case.",
                    promise=name,
                    invoices=", ".join(strangers.mapped("name")),
                    case=self.case_id.display_name,
                )
            )
        settled = self.invoice_ids.filtered(lambda m: m.state != "posted" or m.payment_state in SETTLED_PAYMENT_STATES)
        if settled and self.state == "draft":
            raise ValidationError(
                self.env._(
                    "Promise %(promise)s covers %(invoices)s, which are no longer open: remove them.",
                    promise=name,
                    invoices=", ".join(settled.mapped("name")),
                )
            )
        if float_compare(self.amount, 0.0, precision_rounding=currency.rounding) <= 0:
            raise ValidationError(
                self.env._("Promise %(promise)s: the promised amount must be more than zero.", promise=name)
            )
        if (
            self.state == "draft"
            and float_compare(self.amount, self.amount_residual, precision_rounding=currency.rounding) > 0
        ):
            raise ValidationError(
                self.env._(
                    "Promise %(promise)s: %(amount)s is more than the %(residual)s the covered invoices still owe. "
                    "Lower the amount or cover more invoices.",
                    promise=name,
                    amount=format_amount(self.env, self.amount, currency),
                    residual=format_amount(self.env, self.amount_residual, currency),
                )
            )
        if self.grace_days < 0:
            raise ValidationError(self.env._("Promise %(promise)s: the grace days cannot be negative.", promise=name))
        if self.state == "draft":
            if self.promised_date <= today:
                raise ValidationError(
                    self.env._(
                        "Promise %(promise)s: the promised date %(date)s is not after today (%(today)s). "
                        "Pick a date in the future.",
                        promise=name,
                        date=self.promised_date,
                        today=today,
                    )
                )
            max_days = self.company_id.collection_promise_max_days
            if self.promised_date > today + timedelta(days=max_days):
                raise ValidationError(
                    self.env._(
                        "Promise %(promise)s: %(date)s is more than %(days)s days away, the longest promise "
                        "%(company)s accepts. Pick an earlier date or set up a payment plan.",
                        promise=name,
                        date=self.promised_date,
                        days=max_days,
                        company=self.company_id.name,
                    )
                )
            self._check_broken_limit()
        self.invoice_ids._collection_check_agreement("promise", self)

    @api.model
    def _cases_over_broken_limit(self, cases):
        """The cases whose customer broke as many promises as their company accepts: no new one."""
        counts = self.sudo()._read_group(
            [("case_id", "in", cases.ids), ("state", "=", "broken")], ["case_id"], ["__count"]
        )
        return cases.browse(
            [
                case.id
                for case, count in counts
                if case.company_id.collection_promise_max_broken
                and count >= case.company_id.collection_promise_max_broken
            ]
        )

    def _check_broken_limit(self):
        """A case whose customer broke the company's limit of promises gets no new one."""
        self.ensure_one()
        if self._cases_over_broken_limit(self.case_id):
            broken = self.sudo().search_count([("case_id", "=", self.case_id.id), ("state", "=", "broken")])
            raise ValidationError(
                self.env._(
                    "Case %(case)s already has %(count)s broken promises to pay, the most %(company)s accepts: "
                    "no new promise can be recorded. Agree on a payment plan instead, or raise 'Broken Promises "
                    "per Case' in the collections settings.",
                    case=self.case_id.display_name,
                    count=broken,
                    company=self.company_id.name,
                )
            )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("case_id") and not vals.get("invoice_ids"):
                # API convenience: a promise on a case covers what the case dunns
                case = self.env["collection.case"].browse(vals["case_id"])
                vals["invoice_ids"] = [Command.set(case.dunning_invoice_ids.ids)]
        return super().create(vals_list)

    def write(self, vals):
        locked = set(vals) & self._LOCKED_FIELDS
        confirmed = self.filtered(lambda p: p.state != "draft")
        if locked and confirmed:
            raise UserError(
                self.env._(
                    "Promise %(promises)s is confirmed: its terms (%(fields)s) cannot change. "
                    "Cancel it and record the new promise instead.",
                    promises=", ".join(confirmed.mapped("display_name")),
                    fields=", ".join(sorted(self._fields[name].string for name in locked)),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        confirmed = self.filtered(lambda p: p.state != "draft")
        if confirmed:
            raise UserError(
                self.env._(
                    "Promises %(promises)s were confirmed and stay on record: cancel them instead of deleting.",
                    promises=", ".join(confirmed.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------ actions
    def action_confirm(self):
        """Draft to open: the covered invoices go on hold and the case moves to the promised stage."""
        check_group(self.env, GROUP_USER, self.env._("confirm a promise to pay"))
        not_draft = self.filtered(lambda p: p.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Only draft promises can be confirmed; %(promises)s already are.",
                    promises=", ".join(not_draft.mapped("display_name")),
                )
            )
        closed = self.filtered(lambda p: p.case_id.state != "open")
        if closed:
            raise UserError(
                self.env._(
                    "Case %(cases)s is closed: there is nothing left to promise.",
                    cases=", ".join(closed.case_id.mapped("display_name")),
                )
            )
        for promise in self:
            promise._validate()
        today = self.case_id._collection_today()
        for promise in self:
            promise._write_workflow({"amount_residual_at_confirm": promise.amount_residual})
        self._write_workflow({"state": "open", "confirm_date": today})
        self.case_id._move_to_agreement_stage("promised")
        self.env["collection.event"].sudo().create(
            [
                promise.case_id._event_vals(
                    self.env._(
                        "Promise to pay %(amount)s by %(date)s",
                        amount=format_amount(self.env, promise.amount, promise.currency_id),
                        date=promise.promised_date,
                    ),
                    outcome="promise" if promise.call_event_id else False,
                    note=promise.note,
                    invoice_ids=[Command.set(promise.invoice_ids.ids)],
                )
                for promise in self
            ]
        )
        return True

    def action_cancel(self, reason=None):
        """Cancel open or draft promises: dunning resumes on their invoices.

        :param reason: why (else the promise's Cancellation Reason); required
        """
        check_group(self.env, GROUP_USER, self.env._("cancel a promise to pay"))
        done = self.filtered(lambda p: p.state not in ("draft", "open"))
        if done:
            raise UserError(
                self.env._(
                    "Promises %(promises)s are already closed and cannot be cancelled.",
                    promises=", ".join(done.mapped("display_name")),
                )
            )
        missing = self.filtered(lambda p: not (reason or p.cancel_reason or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Say why promise %(promises)s is cancelled: fill in 'Cancellation Reason'.",
                    promises=", ".join(missing.mapped("display_name")),
                )
            )
        opened = self.filtered(lambda p: p.state == "open")
        vals = {"state": "cancelled", "close_date": self.case_id._collection_today()}
        if reason:
            vals["cancel_reason"] = reason
        self._write_workflow(vals)
        opened._release(
            "cancelled",
            {promise: self.env._("Promise cancelled: %(reason)s", reason=promise.cancel_reason) for promise in opened},
        )
        return True

    # ------------------------------------------------------------------ daily settlement
    @api.model
    def _engine_settle(self, run):
        """The engine's settle step (engine/settle_agreements.py): open promises become kept or broken."""
        self._settle_open_promises(run.companies, run.today)

    @api.model
    def _settle_open_promises(self, companies, today):
        """Kept or broken, for every open promise of the companies; set-based (no query per promise)."""
        promises = self.search([("state", "=", "open"), ("company_id", "in", companies.ids)])
        if not promises:
            return
        promises.invoice_ids.fetch(["amount_residual"])
        kept = promises.filtered(lambda p: p._is_kept())
        broken = (promises - kept).filtered(lambda p: p.deadline_date < today)
        kept._write_workflow({"state": "kept", "close_date": today})
        broken._write_workflow({"state": "broken", "close_date": today})
        kept._release(
            "kept",
            {
                promise: self.env._(
                    "Promise kept: %(paid)s paid since %(date)s",
                    paid=format_amount(self.env, promise.amount_paid, promise.currency_id),
                    date=promise.confirm_date,
                )
                for promise in kept
            },
        )
        broken._release(
            "broken",
            {
                promise: self.env._(
                    "Promise broken: %(amount)s was due by %(date)s (+%(grace)s days), %(paid)s paid",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=promise.promised_date,
                    grace=promise.grace_days,
                    paid=format_amount(self.env, promise.amount_paid, promise.currency_id),
                )
                for promise in broken
            },
        )

    def _is_kept(self):
        """Kept once the covered invoices were paid at least the promised amount since confirmation."""
        self.ensure_one()
        return (
            float_compare(
                self.amount_residual,
                self.amount_residual_at_confirm - self.amount,
                precision_rounding=self.currency_id.rounding,
            )
            <= 0
        )

    def _release(self, outcome, names):
        """Lift the hold of promises that just ended, log it, and put their cases back on track.

        :param outcome: kept, broken or cancelled
        :param names: {promise: event summary}
        """
        if not self:
            return
        self.env["collection.event"].sudo().create(
            [
                promise.case_id._event_vals(
                    names[promise],
                    invoice_ids=[Command.set(promise.invoice_ids.ids)],
                )
                for promise in self
            ]
        )
        open_cases = self.case_id.filtered(lambda c: c.state == "open")
        if outcome == "broken":
            self._schedule_broken_activities()
            # escalation resumes from the level reached before the promise
            open_cases.filtered(lambda c: c.stage_code in ("new", "reminded", "promised"))._move_to_agreement_stage(
                "reminded"
            )
            return
        promising = self.search([("state", "=", "open"), ("case_id", "in", open_cases.ids)]).case_id
        back = open_cases.filtered(lambda c: c.stage_code == "promised") - promising
        back.filtered("level_id")._move_to_agreement_stage("reminded")
        back.filtered(lambda c: not c.level_id)._move_to_agreement_stage("new")

    def _schedule_broken_activities(self):
        """A to-do for the collector of each case whose promise broke, one create per collector."""
        today = self.case_id._collection_today()
        by_user = {}
        for promise in self:
            case = promise.case_id
            user = case.user_id or case.partner_id.collection_user_id or promise.user_id or self.env.user
            by_user.setdefault(user, self.env["collection.case"])
            by_user[user] |= case
        for user, cases in by_user.items():
            cases.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("Promise to pay broken: follow up with the customer"),
                user_id=user.id,
            )
