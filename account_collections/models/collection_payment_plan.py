from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero
from odoo.tools.misc import format_amount

from ..tools import GROUP_MANAGER, GROUP_USER, check_group

# step between two installments, from the start date: n-th installment = start + n * step
INTERVALS = {
    "weekly": relativedelta(days=7),
    "biweekly": relativedelta(days=14),
    "monthly": relativedelta(months=1),
}
# changing one of these on a draft plan recomputes its schedule
SCHEDULE_FIELDS = ("invoice_ids", "down_payment", "installment_count", "interval", "start_date")
OPEN_PAYMENT_STATES = ("not_paid", "partial")


class CollectionPaymentPlan(models.Model):
    """An installment agreement: the customer pays the chosen invoices in several installments.

    While the plan is active its invoices are on hold (no reminder for them). Payments on the
    invoices are allocated to the installments oldest first; the daily run completes the plan
    when everything is paid, or breaks it when an installment is still unpaid after the grace
    days, which resumes dunning.
    """

    _name = "collection.payment.plan"
    _description = "Payment Plan"
    _inherit = ["collection.agreement.mixin", "collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # set by the actions and the daily run (completed or broken) only
    _workflow_fields = {
        "state": ("action_activate", "action_cancel"),
        "amount_total": ("action_activate",),
        "amount_residual_at_activation": ("action_activate",),
        "activation_date": ("action_activate",),
        "end_date": ("action_cancel",),
        "portal_proposed": ("the customer's proposal on the portal",),
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/", index="trigram")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    invoice_ids = fields.Many2many(
        "account.move",
        "collection_payment_plan_invoice_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        copy=False,
        domain="[('collection_case_id', '=', case_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial')), ('collection_hold', '=', False)]",
        help="Open invoices of the case that the plan pays off.",
    )
    amount_total = fields.Monetary(
        string="Total",
        compute="_compute_amount_total",
        store=True,
        readonly=True,
        help="What is left to pay on the chosen invoices; frozen when the plan is activated.",
    )
    amount_residual_at_activation = fields.Monetary(
        string="Due at Activation",
        readonly=True,
        copy=False,
        help="Open amount of the invoices when the plan was activated: what they lose since is allocated "
        "to the installments.",
    )
    amount_paid = fields.Monetary(compute="_compute_amount_paid", store=True, string="Paid")
    down_payment = fields.Monetary(help="Paid on the start date, before the installments.")
    installment_count = fields.Integer(string="Installments", default=3, required=True)
    interval = fields.Selection(
        [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")],
        default="monthly",
        required=True,
    )
    start_date = fields.Date(
        default=fields.Date.context_today,
        required=True,
        help="Date of the down payment, or of the first installment when there is none.",
    )
    grace_days = fields.Integer(
        default=5,
        help="Days an installment may be late before the plan is broken and dunning resumes.",
    )
    line_ids = fields.One2many("collection.payment.plan.line", "plan_id", string="Schedule", copy=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("completed", "Completed"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    cancel_reason = fields.Text(copy=False, tracking=True)
    portal_proposed = fields.Boolean(
        string="Proposed on the Portal",
        readonly=True,
        copy=False,
        help="The customer proposed this plan on the portal; while it is a draft, they see it as awaiting approval.",
    )
    activation_date = fields.Date(readonly=True, copy=False)
    end_date = fields.Date(readonly=True, copy=False, help="When the plan was completed, broken or cancelled.")
    limit_reasons = fields.Text(
        string="Outside the Policy's Limits",
        compute="_compute_limit_reasons",
        help="Why a Collections User may not activate this draft: the payment plan limits of the case's policy.",
    )
    next_due_date = fields.Date(compute="_compute_next_due")
    next_amount = fields.Monetary(compute="_compute_next_due", string="Next Installment")
    has_late_line = fields.Boolean(compute="_compute_has_late_line", store=True, string="Late Installment")

    # ------------------------------------------------------------------ computes
    @api.depends("invoice_ids", "invoice_ids.amount_residual", "state")
    def _compute_amount_total(self):
        for plan in self:
            if plan.state == "draft" or not plan.id:
                plan.amount_total = sum(plan.invoice_ids.mapped("amount_residual"))
            else:
                # the agreement is frozen once activated: payments are allocated, not deducted
                plan.amount_total = plan.amount_total

    @api.depends("line_ids.amount_paid")
    def _compute_amount_paid(self):
        for plan in self:
            plan.amount_paid = sum(plan.line_ids.mapped("amount_paid"))

    @api.depends("state", "line_ids.amount", "line_ids.due_date", "down_payment", "amount_total", "case_id.policy_id")
    def _compute_limit_reasons(self):
        today = self.env["collection.case"]._collection_today()
        for plan in self:
            reasons = (
                plan._policy_limit_reasons(today) if plan.state == "draft" and plan.case_id and plan.currency_id else []
            )
            plan.limit_reasons = "; ".join(reasons) or False

    @api.depends("line_ids.state")
    def _compute_has_late_line(self):
        for plan in self:
            plan.has_late_line = any(line.state == "late" for line in plan.line_ids)

    @api.depends("line_ids.due_date", "line_ids.state", "line_ids.amount", "line_ids.amount_paid")
    def _compute_next_due(self):
        for plan in self:
            line = plan.line_ids.filtered(lambda ln: ln.state != "paid").sorted(lambda ln: (ln.due_date, ln.sequence))[
                :1
            ]
            plan.next_due_date = line.due_date
            plan.next_amount = line.amount - line.amount_paid if line else 0.0

    # ------------------------------------------------------------------ constraints
    @api.constrains("installment_count", "down_payment", "grace_days")
    def _check_terms(self):
        for plan in self:
            if plan.installment_count < 1:
                raise ValidationError(
                    self.env._("Payment plan %(plan)s needs at least one installment.", plan=plan.display_name)
                )
            if plan.down_payment < 0 or plan.grace_days < 0:
                raise ValidationError(
                    self.env._(
                        "The down payment and grace days of payment plan %(plan)s cannot be negative.",
                        plan=plan.display_name,
                    )
                )

    @api.constrains("down_payment", "amount_total", "state")
    def _check_down_payment(self):
        for plan in self.filtered(lambda p: p.state == "draft" and p.invoice_ids and p.down_payment):
            if float_compare(plan.down_payment, plan.amount_total, precision_rounding=plan.currency_id.rounding) >= 0:
                raise ValidationError(
                    self.env._(
                        "The down payment of %(plan)s (%(down)s) must be less than its total (%(total)s): "
                        "lower it, or let the customer simply pay the invoices.",
                        plan=plan.display_name,
                        down=plan.down_payment,
                        total=plan.amount_total,
                    )
                )

    @api.constrains("invoice_ids", "case_id")
    def _check_invoices_of_case(self):
        for plan in self:
            foreign = plan.invoice_ids.filtered(lambda m, case=plan.case_id: m.collection_case_id != case)
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(invoices)s do not belong to case %(case)s: choose invoices of the plan's case.",
                        invoices=", ".join(foreign.mapped("name")),
                        case=plan.case_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("collection.payment.plan") or "/"
        plans = super().create(vals_list)
        plans.filtered(lambda p: not p.line_ids)._auto_schedule()
        return plans

    def write(self, vals):
        res = super().write(vals)
        if any(field in vals for field in SCHEDULE_FIELDS):
            self._auto_schedule()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for plan in self.filtered(lambda p: p.state != "draft"):
            raise UserError(
                self.env._(
                    "Payment plan %(plan)s is %(state)s: only draft plans can be deleted. Cancel it instead.",
                    plan=plan.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[plan.state],
                )
            )

    # ------------------------------------------------------------------ schedule
    def _auto_schedule(self):
        """Recompute the schedule of the draft plans that have what it takes."""
        plans = self.filtered(
            lambda p: p.state == "draft"
            and p.start_date
            and p.installment_count >= 1
            and not float_is_zero(p.amount_total, precision_rounding=p.currency_id.rounding)
            and float_compare(p.down_payment, p.amount_total, precision_rounding=p.currency_id.rounding) < 0
        )
        for plan in plans:
            plan._write_schedule(plan._schedule_vals())

    def action_compute_schedule(self):
        check_group(self.env, GROUP_USER, self.env._("compute the schedule of a payment plan"))
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._(
                        "The schedule of %(plan)s is fixed: only draft plans can be rescheduled.",
                        plan=plan.display_name,
                    )
                )
            if not plan.invoice_ids or float_is_zero(plan.amount_total, precision_rounding=plan.currency_id.rounding):
                raise UserError(
                    self.env._(
                        "Choose the open invoices %(plan)s pays off before computing its schedule.",
                        plan=plan.display_name,
                    )
                )
        for plan in self:
            plan._write_schedule(plan._schedule_vals())
        return True

    def _installment_date(self, index):
        """Date of the index-th step after the start date, always computed from the start date:
        monthly steps from 31 January give 28/29 February, 31 March, 30 April."""
        self.ensure_one()
        step = INTERVALS[self.interval]
        return self.start_date + relativedelta(days=step.days * index, months=step.months * index)

    def _schedule_vals(self):
        """Values of the schedule lines: the down payment (if any) on the start date, then the
        installments, equal amounts rounded to the currency, the rounding left on the last one."""
        self.ensure_one()
        currency = self.currency_id
        total = currency.round(self.amount_total)
        down = currency.round(self.down_payment)
        count = self.installment_count
        rest = currency.round(total - down)
        each = currency.round(rest / count)
        last = currency.round(rest - each * (count - 1))
        if (
            float_compare(each, 0.0, precision_rounding=currency.rounding) <= 0
            or float_compare(last, 0.0, precision_rounding=currency.rounding) <= 0
        ):
            raise UserError(
                self.env._(
                    "%(plan)s cannot split %(amount)s in %(count)s installments: use fewer installments.",
                    plan=self.display_name,
                    amount=rest,
                    count=count,
                )
            )
        vals_list = []
        offset = 0
        if not float_is_zero(down, precision_rounding=currency.rounding):
            vals_list.append({"due_date": self.start_date, "amount": down, "is_down_payment": True})
            offset = 1
        for index in range(count):
            vals_list.append(
                {
                    "due_date": self._installment_date(index + offset),
                    "amount": last if index == count - 1 else each,
                    "is_down_payment": False,
                }
            )
        for sequence, vals in enumerate(vals_list, start=1):
            vals["sequence"] = sequence
        scheduled = sum(vals["amount"] for vals in vals_list)
        if float_compare(scheduled, total, precision_rounding=currency.rounding):
            # cannot happen: the last installment takes the rounding difference
            raise UserError(
                self.env._("The schedule of %(plan)s does not add up to its total.", plan=self.display_name)
            )
        return vals_list

    def _write_schedule(self, vals_list):
        self.ensure_one()
        # sudo: collectors may not delete lines; replacing the computed schedule of a draft plan is safe
        self.line_ids.sudo().unlink()
        self.line_ids = [Command.create(vals) for vals in vals_list]

    # ------------------------------------------------------------------ activation
    def _check_activation(self, today):
        """Everything that must hold before the plan can start; raises with what to fix."""
        for plan in self:
            name = plan.display_name
            rounding = plan.currency_id.rounding
            if plan.state != "draft":
                raise UserError(
                    self.env._("Payment plan %(plan)s is not a draft: it cannot be activated again.", plan=name)
                )
            if plan.case_id.state != "open":
                raise UserError(
                    self.env._(
                        "Case %(case)s of %(plan)s is closed: nothing left to plan.",
                        case=plan.case_id.display_name,
                        plan=name,
                    )
                )
            if not plan.invoice_ids:
                raise UserError(
                    self.env._("Choose the open invoices %(plan)s pays off before activating it.", plan=name)
                )
            foreign = plan.invoice_ids.filtered(lambda m, case=plan.case_id: m.collection_case_id != case)
            if foreign:
                raise UserError(
                    self.env._(
                        "%(invoices)s do not belong to case %(case)s: remove them from %(plan)s.",
                        invoices=", ".join(foreign.mapped("name")),
                        case=plan.case_id.display_name,
                        plan=name,
                    )
                )
            closed = plan.invoice_ids.filtered(
                lambda m: m.state != "posted"
                or m.move_type != "out_invoice"
                or m.payment_state not in OPEN_PAYMENT_STATES
            )
            if closed:
                raise UserError(
                    self.env._(
                        "%(invoices)s are not open customer invoices any more: remove them from %(plan)s.",
                        invoices=", ".join(closed.mapped("name")),
                        plan=name,
                    )
                )
            plan.invoice_ids._collection_check_agreement("plan", plan)
            if not plan.start_date or plan.start_date < today:
                raise UserError(
                    self.env._("The start date of %(plan)s is in the past: start it today or later.", plan=name)
                )
            if not plan.line_ids:
                raise UserError(self.env._("%(plan)s has no schedule: click Compute Schedule.", plan=name))
            if any(not line.due_date or line.due_date < plan.start_date for line in plan.line_ids):
                raise UserError(
                    self.env._("Every installment of %(plan)s must fall on or after its start date.", plan=name)
                )
            if any(float_compare(line.amount, 0.0, precision_rounding=rounding) <= 0 for line in plan.line_ids):
                raise UserError(self.env._("Every installment of %(plan)s must be a positive amount.", plan=name))
            residual = sum(plan.invoice_ids.mapped("amount_residual"))
            scheduled = sum(plan.line_ids.mapped("amount"))
            if float_compare(scheduled, residual, precision_rounding=rounding):
                raise UserError(
                    self.env._(
                        "The installments of %(plan)s add up to %(scheduled)s but its invoices are open for "
                        "%(residual)s: click Compute Schedule, or fix the amounts.",
                        plan=name,
                        scheduled=plan.currency_id.round(scheduled),
                        residual=plan.currency_id.round(residual),
                    )
                )

    # ------------------------------------------------------------------ policy limits
    def _plan_policy(self):
        """The policy whose limits the plan is held to: its case's, else the company's default."""
        self.ensure_one()
        return self.case_id.policy_id or self.env["collection.policy"].sudo()._get_company_default(self.company_id)

    def _policy_limit_reasons(self, today, policy=None):
        """Why the plan falls outside the payment plan limits of its policy ("Portal payment plans"),
        as a list of sentences for the customer's collector; empty when within them, or when the
        policy sets no limits (portal plans not allowed).

        :param policy: the policy to check against (default: ``_plan_policy()``)
        """
        self.ensure_one()
        policy = (policy or self._plan_policy()).sudo()
        if not policy.allow_portal_plans:
            return []
        currency = self.currency_id
        company_currency = self.company_id.currency_id
        reasons = []
        installments = self.line_ids.filtered(lambda ln: not ln.is_down_payment)
        count = len(installments) or self.installment_count
        if count > policy.portal_plan_max_installments:
            reasons.append(
                self.env._(
                    "%(count)s installments, more than the %(max)s allowed",
                    count=count,
                    max=policy.portal_plan_max_installments,
                )
            )
        last_date = max(filter(None, self.line_ids.mapped("due_date")), default=self.start_date)
        if last_date and (last_date - today).days > policy.portal_plan_max_days:
            reasons.append(
                self.env._(
                    "the last installment falls on %(date)s, %(days)s days from today, beyond the %(max)s days allowed",
                    date=last_date,
                    days=(last_date - today).days,
                    max=policy.portal_plan_max_days,
                )
            )
        smallest = min(installments.mapped("amount"), default=0.0)
        if policy.portal_plan_min_installment and installments:
            smallest_company = currency._convert(smallest, company_currency, self.company_id, today)
            if (
                float_compare(
                    smallest_company, policy.portal_plan_min_installment, precision_rounding=company_currency.rounding
                )
                < 0
            ):
                reasons.append(
                    self.env._(
                        "an installment of %(amount)s, less than the minimum of %(min)s",
                        amount=format_amount(self.env, smallest, currency),
                        min=format_amount(self.env, policy.portal_plan_min_installment, company_currency),
                    )
                )
        if policy.portal_plan_min_down_payment_pct:
            required = currency.round(self.amount_total * policy.portal_plan_min_down_payment_pct / 100.0)
            if float_compare(self.down_payment, required, precision_rounding=currency.rounding) < 0:
                reasons.append(
                    self.env._(
                        "a down payment of %(down)s, less than the %(pct)s %% (%(required)s) required",
                        down=format_amount(self.env, self.down_payment, currency),
                        pct=policy.portal_plan_min_down_payment_pct,
                        required=format_amount(self.env, required, currency),
                    )
                )
        partner = self.partner_id.sudo().with_company(self.company_id)
        if partner.risk_score > policy.portal_plan_max_risk_score:
            reasons.append(
                self.env._(
                    "the customer's risk score is %(score)s, above the %(max)s allowed",
                    score=partner.risk_score,
                    max=policy.portal_plan_max_risk_score,
                )
            )
        broken = self.sudo().search_count(
            [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id), ("state", "=", "broken")]
        )
        if broken > policy.portal_plan_max_broken:
            reasons.append(
                self.env._(
                    "the customer broke %(count)s payment plans, more than the %(max)s allowed",
                    count=broken,
                    max=policy.portal_plan_max_broken,
                )
            )
        return reasons

    def _check_policy_limits(self, today):
        """Collections Users activate plans within their policy's limits only; a Collections Manager
        may activate any, and each such override is logged on the case (chatter and log).

        :raise UserError: listing the reasons, for a user who is no Collections Manager
        """
        overrides = []
        is_manager = self.env.user.has_group(GROUP_MANAGER)
        for plan in self:
            reasons = plan._policy_limit_reasons(today)
            if not reasons:
                continue
            if not is_manager:
                raise UserError(
                    self.env._(
                        "Payment plan %(plan)s is outside the limits of policy %(policy)s: %(reasons)s. "
                        "Change the plan, or ask a Collections Manager to activate it.",
                        plan=plan.display_name,
                        policy=plan._plan_policy().display_name,
                        reasons="; ".join(reasons),
                    )
                )
            overrides.append((plan, reasons))
        return overrides

    def _log_policy_overrides(self, overrides):
        events = []
        for plan, reasons in overrides:
            summary = self.env._(
                "Payment plan %(plan)s activated by %(user)s beyond the limits of policy %(policy)s: %(reasons)s",
                plan=plan.name,
                user=self.env.user.name,
                policy=plan._plan_policy().display_name,
                reasons="; ".join(reasons),
            )
            plan.case_id.message_post(body=summary, message_type="comment", subtype_xmlid="mail.mt_note")
            events.append(plan.case_id._event_vals(summary, invoice_ids=[Command.set(plan.invoice_ids.ids)]))
        if events:
            self.env["collection.event"].sudo().create(events)

    def action_activate(self):
        """Start the plans: hold their invoices, move the cases to Payment Plan, send the agreement."""
        check_group(self.env, GROUP_USER, self.env._("activate a payment plan"))
        today = self.env["collection.case"]._collection_today()
        self._check_activation(today)
        overrides = self._check_policy_limits(today)
        reminder_until = {
            plan.id: today + relativedelta(days=plan.company_id.collection_plan_reminder_days) for plan in self
        }
        for plan in self:
            plan._write_workflow(
                {
                    "amount_residual_at_activation": plan.currency_id.round(
                        sum(plan.invoice_ids.mapped("amount_residual"))
                    )
                }
            )
            # the agreement itself tells the customer about installments due within the reminder lead time
            plan.line_ids.filtered(lambda ln, p=plan: ln.due_date <= reminder_until[p.id])._write_workflow(
                {"reminder_sent": True}
            )
        self._write_workflow({"state": "active", "activation_date": today})
        self.case_id._move_to_agreement_stage("plan")
        self.env["collection.event"].sudo().create(
            [
                plan.case_id._event_vals(
                    self.env._(
                        "Payment plan %(plan)s activated: %(count)s installments of %(total)s",
                        plan=plan.name,
                        count=len(plan.line_ids),
                        total=plan.amount_total,
                    ),
                    invoice_ids=[Command.set(plan.invoice_ids.ids)],
                )
                for plan in self
            ]
        )
        self._log_policy_overrides(overrides)
        self._close_portal_reviews()
        self._send_agreement()
        return True

    def _close_portal_reviews(self):
        """The collector's *Review portal plan* to-dos end with the plan's draft."""
        proposed = self.filtered("portal_proposed")
        if proposed:
            proposed.sudo().activity_unlink(["account_collections.mail_activity_type_review_portal_plan"])

    def _send_agreement(self):
        """Queue the agreement email (schedule, pay links, PDF) to each customer, logged on the case."""
        template = self.env.ref("account_collections.mail_template_payment_plan", raise_if_not_found=False)
        if template:
            self._email_customers(
                template,
                lambda plan: (
                    self.env._("Payment plan %(plan)s: agreement email", plan=plan.name),
                    self.env._("Payment plan %(plan)s: agreement not emailed", plan=plan.name),
                ),
            )

    # ------------------------------------------------------------------ ending
    def action_cancel(self):
        check_group(self.env, GROUP_USER, self.env._("cancel a payment plan"))
        for plan in self:
            if plan.state not in ("draft", "active"):
                raise UserError(
                    self.env._(
                        "Payment plan %(plan)s has already ended: it cannot be cancelled.", plan=plan.display_name
                    )
                )
            if not (plan.cancel_reason or "").strip():
                raise UserError(
                    self.env._(
                        "Say why payment plan %(plan)s is cancelled: fill in the cancellation reason first.",
                        plan=plan.display_name,
                    )
                )
        today = self.env["collection.case"]._collection_today()
        active = self.filtered(lambda p: p.state == "active")
        self._write_workflow({"state": "cancelled", "end_date": today})
        self.env["collection.event"].sudo().create(
            [
                plan.case_id._event_vals(
                    self.env._("Payment plan %(plan)s cancelled", plan=plan.name),
                    note=plan.cancel_reason,
                    invoice_ids=[Command.set(plan.invoice_ids.ids)],
                )
                for plan in self
            ]
        )
        active.case_id.filtered(lambda c: c.stage_code == "plan")._move_to_agreement_stage("reminded")
        self._close_portal_reviews()
        return True

    def _update_payments(self, today):
        """Allocate what was paid on the invoices since activation to the installments, oldest first,
        and move the lines' states. Set-based: invoices read at once, lines written by value."""
        self.invoice_ids.fetch(["amount_residual"])
        writes = defaultdict(list)
        for plan in self:
            currency = plan.currency_id
            residual = sum(plan.invoice_ids.mapped("amount_residual"))
            remaining = currency.round(max(0.0, plan.amount_residual_at_activation - residual))
            for line in plan.line_ids.sorted(lambda ln: (ln.due_date, ln.sequence, ln.id)):
                paid = currency.round(min(line.amount, remaining))
                remaining = currency.round(remaining - paid)
                state = line._state_for(paid, today)
                if float_compare(paid, line.amount_paid, precision_rounding=currency.rounding) or state != line.state:
                    writes[(paid, state)].append(line.id)
        Line = self.env["collection.payment.plan.line"]
        for (paid, state), line_ids in writes.items():
            Line.browse(line_ids)._write_workflow({"amount_paid": paid, "state": state})

    @api.model
    def _engine_settle(self, run):
        """The engine's settle step (engine/settle_agreements.py): active plans complete, break or remind."""
        self._check_active_plans(run.companies, run.today)

    @api.model
    def _check_active_plans(self, companies, today):
        """Daily: allocate payments, then complete, break or remind the active plans."""
        plans = self.search([("state", "=", "active"), ("company_id", "in", companies.ids)])
        if not plans:
            return
        plans._update_payments(today)
        completed = plans.filtered(lambda p: all(line.state == "paid" for line in p.line_ids))
        broken = (plans - completed).filtered(
            lambda p: any(
                line.state != "paid" and line.due_date + relativedelta(days=p.grace_days) < today for line in p.line_ids
            )
        )
        completed._complete(today)
        broken._break(today)
        running = plans - completed - broken
        lines = running.line_ids.filtered(
            lambda ln: not ln.reminder_sent
            and ln.state != "paid"
            and ln.company_id.collection_plan_reminder_days > 0
            and ln.due_date - relativedelta(days=ln.company_id.collection_plan_reminder_days) <= today <= ln.due_date
        )
        if lines:
            running._send_installment_reminders(lines)

    def _complete(self, today):
        if not self:
            return
        self._write_workflow({"state": "completed", "end_date": today})
        self.env["collection.event"].sudo().create(
            [
                plan.case_id._event_vals(
                    self.env._("Payment plan %(plan)s completed: every installment paid", plan=plan.name),
                    invoice_ids=[Command.set(plan.invoice_ids.ids)],
                )
                for plan in self
            ]
        )
        # what is still open on the case (if anything) is dunned again from where it was
        cases = self.case_id.filtered(lambda c: c.stage_code == "plan")
        cases.filtered("level_id")._move_to_agreement_stage("reminded")
        cases.filtered(lambda c: not c.level_id)._move_to_agreement_stage("new")

    def _break(self, today):
        if not self:
            return
        self._write_workflow({"state": "broken", "end_date": today})
        late = self.line_ids.filtered(lambda ln: ln.state != "paid" and ln.due_date < today)
        late._write_workflow({"state": "late"})
        self.env["collection.event"].sudo().create(
            [
                plan.case_id._event_vals(
                    self.env._(
                        "Payment plan %(plan)s broken: installment of %(date)s unpaid after %(days)s grace days",
                        plan=plan.name,
                        date=min(plan.line_ids.filtered(lambda ln: ln.state == "late").mapped("due_date")),
                        days=plan.grace_days,
                    ),
                    invoice_ids=[Command.set(plan.invoice_ids.ids)],
                )
                for plan in self
            ]
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for plan in self:
            case = plan.case_id
            case.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=self.env._("Payment plan %(plan)s broken: call the customer", plan=plan.name),
                date_deadline=today,
                user_id=(case.user_id or plan.user_id or self.env.user).id,
            )
        self.case_id._move_to_agreement_stage("reminded")

    def _send_installment_reminders(self, lines):
        """Remind the customers of the installments coming due (each line once).

        Hook: channel addons (SMS) extend it to remind on their channel too.
        :return: event values logged
        """
        template = self.env.ref("account_collections.mail_template_payment_plan_reminder", raise_if_not_found=False)
        if not template or not lines:
            return []
        events, reachable = [], self.env["collection.payment.plan.line"]
        deferred = self.env["collection.engine"]._contact_guards(
            lines.plan_id.case_id, fields.Datetime.now(), lines[:1].plan_id.case_id._collection_today()
        )
        for line in lines:
            case = line.plan_id.case_id
            if case in deferred:
                # retried at the next run: the line is not marked as reminded
                continue
            blocked = case._channel_block_reason("email")
            if blocked:
                code, reason = blocked
                events.append(
                    case._event_vals(
                        self.env._("Installment reminder %(plan)s not sent", plan=line.plan_id.name),
                        channel="email",
                        state="skipped",
                        reason=reason,
                        reason_code=code,
                        level_id=False,
                        invoice_ids=[Command.set(line.plan_id.invoice_ids.ids)],
                    )
                )
            else:
                reachable |= line
        mail_by_line, errors = template._collection_queue_mails(reachable)
        for line in reachable:
            mail = mail_by_line.get(line.id)
            events.append(
                line.plan_id.case_id._event_vals(
                    self.env._(
                        "Installment reminder %(plan)s: %(amount)s due on %(date)s",
                        plan=line.plan_id.name,
                        amount=line.amount - line.amount_paid,
                        date=line.due_date,
                    ),
                    channel="email",
                    state="queued" if mail else "failed",
                    reason=False if mail else errors.get(line.id, self.env._("The email could not be rendered")),
                    reason_code=False if mail else "render",
                    level_id=False,
                    mail_mail_id=mail.id if mail else False,
                    mail_message_id=mail.mail_message_id.id if mail else False,
                    invoice_ids=[Command.set(line.plan_id.invoice_ids.ids)],
                )
            )
        # a reminder the template failed on is tried again at the next run, like a deferred one
        handled = lines.filtered(lambda ln: ln.plan_id.case_id not in deferred and ln.id not in errors)
        handled._write_workflow({"reminder_sent": True})
        if deferred:
            events += self.env["collection.engine"]._dedup_skips(
                [
                    case._event_vals(
                        reason, channel="email", state="skipped", reason=reason, reason_code=code, level_id=False
                    )
                    for case, (reason, _retry, code) in deferred.items()
                ],
                lines[:1].plan_id.case_id._collection_today(),
            )
        self.env["collection.event"].sudo().create(events)
        return events

    # ------------------------------------------------------------------ navigation
    def action_view_case(self):
        check_group(self.env, GROUP_USER, self.env._("open the case of a payment plan"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.case_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_print(self):
        check_group(self.env, GROUP_USER, self.env._("print a payment plan"))
        return self.env.ref("account_collections.action_report_payment_plan").report_action(self)
