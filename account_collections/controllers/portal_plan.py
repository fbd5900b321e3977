import math
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import Command, fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import float_compare, float_is_zero
from odoo.tools.misc import format_amount

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.payment import utils as payment_utils

from ..models.collection_payment_plan import INTERVALS
from ..models.collection_stage import HANDED_OVER_STAGE_CODES
from .portal import MAX_ID, OPEN_INVOICE_DOMAIN, CollectionsPortal

# what a customer may propose on the portal at most, whatever the policy approves by itself
MAX_PORTAL_INSTALLMENTS = 60
MAX_PORTAL_START_DAYS = 365
MAX_PLAN_INVOICES = 1000


class CollectionsPlanPortal(CollectionsPortal, PaymentPortal):
    """Payment plans on the portal: the customer proposes one for overdue invoices, sees their
    plans, and pays each installment online through Odoo's invoice payment flow.

    A plan within its policy's limits starts at once; any other is a draft the collector reviews.
    Posted ids are checked against the logged-in customer's commercial partner before any sudo.
    """

    # ------------------------------------------------------------------ helpers
    def _collection_plans(self, partner):
        # sudo: the plans of the user's own commercial partner only; drafts the customer proposed
        # are shown as awaiting approval, the collectors' own drafts are not
        return (
            request.env["collection.payment.plan"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    "|",
                    ("state", "=", "active"),
                    "&",
                    ("state", "=", "draft"),
                    ("portal_proposed", "=", True),
                ],
                order="id desc",
            )
        )

    def _collection_plan_cases(self, invoices, today):
        """{case: (policy, overdue invoices a plan may cover)} for the cases whose policy allows
        portal payment plans: overdue, not on hold, not handed over, in the case's currency, and
        in no plan already awaiting approval."""
        overdue = invoices.filtered(
            lambda m: m.invoice_date_due
            and m.invoice_date_due < today
            and not m.collection_hold
            and m.collection_case_id.state == "open"
            and m.collection_case_id.stage_code not in HANDED_OVER_STAGE_CODES
            and m.currency_id == m.collection_case_id.currency_id
        )
        pending = (
            request.env["collection.payment.plan"]
            .sudo()
            .search([("invoice_ids", "in", overdue.ids), ("state", "=", "draft"), ("portal_proposed", "=", True)])
            .invoice_ids
        )
        result = {}
        for case in overdue.collection_case_id:
            policy = case.policy_id or request.env["collection.policy"].sudo()._get_company_default(case.company_id)
            if policy.allow_portal_plans:
                result[case] = (policy, overdue.filtered(lambda m, c=case: m.collection_case_id == c) - pending)
        return {case: value for case, value in result.items() if value[1]}

    def _collection_posted_invoices(self, posted_ids):
        """The open invoices ``posted_ids`` (strings) if every one is the user's own, else an empty recordset."""
        Move = request.env["account.move"]
        if len(posted_ids) > MAX_PLAN_INVOICES:
            return Move
        ids = set()
        for posted_id in posted_ids:
            try:
                invoice_id = int(posted_id)
            except (TypeError, ValueError):
                return Move
            if not 0 < invoice_id <= MAX_ID:
                return Move
            ids.add(invoice_id)
        # sudo: the invoices are returned only after checking they are all the user's own
        invoices = Move.sudo().search(
            [
                ("id", "in", list(ids)),
                ("commercial_partner_id", "=", self._collection_partner().id),
                *OPEN_INVOICE_DOMAIN,
            ]
        )
        return invoices if len(invoices) == len(ids) else Move

    def _collection_plan_line(self, line_id):
        """The open installment ``line_id`` of an active plan of the user's commercial partner, else empty."""
        Line = request.env["collection.payment.plan.line"]
        try:
            line_id = int(line_id)
        except (TypeError, ValueError):
            return Line
        if not 0 < line_id <= MAX_ID:
            return Line
        # sudo: the installment is returned only after checking it is the user's own
        line = Line.sudo().browse(line_id).exists()
        if (
            not line
            or line.plan_id.partner_id != self._collection_partner()
            or line.plan_id.state != "active"
            or line.state == "paid"
        ):
            return Line
        return line

    def _collection_installment_payment(self, line):
        """(invoices, amount) of an online payment of ``line``: the plan's open invoices, oldest due
        first (the payment is reconciled with them in that order), and what is open on the
        installment, at most what the invoices still owe."""
        plan = line.plan_id
        invoices = plan.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial")
        ).sorted(lambda m: (m.invoice_date_due or m.invoice_date, m.id))
        amount = plan.currency_id.round(min(line.amount - line.amount_paid, sum(invoices.mapped("amount_residual"))))
        return invoices, amount

    # ------------------------------------------------------------------ page
    @http.route()
    def portal_my_collections(self, error=None, success=None, **kw):
        response = super().portal_my_collections(error=error, success=success, **kw)
        partner = self._collection_partner()
        invoices = self._collection_invoices(partner)
        today = fields.Date.context_today(invoices)
        plans = self._collection_plans(partner)
        response.qcontext.update(
            {
                "plans": plans,
                "plan_cases": self._collection_plan_cases(invoices, today),
                "plan_intervals": request.env["collection.payment.plan"]
                ._fields["interval"]
                ._description_selection(request.env),
                "plan_payable_lines": {
                    line.id
                    for plan in plans.filtered(lambda p: p.state == "active")
                    for index, line in enumerate(plan.line_ids.filtered(lambda ln: ln.state != "paid"))
                    if index == 0 or line.due_date <= today
                },
            }
        )
        return response

    # ------------------------------------------------------------------ proposal
    def _collection_plan_values(self, invoices, installment_count, interval, start_date, down_payment, today):
        """The plan's terms as posted, checked; a UserError saying what to fix otherwise."""
        env = request.env
        try:
            count = int(installment_count)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= MAX_PORTAL_INSTALLMENTS:
            raise UserError(
                env._(
                    "Choose from 1 to %(max)s installments for your payment plan.",
                    max=MAX_PORTAL_INSTALLMENTS,
                )
            )
        if interval not in INTERVALS:
            raise UserError(env._("Choose how often you will pay the installments of your payment plan."))
        try:
            start = fields.Date.to_date(start_date) if isinstance(start_date, str) else None
        except (TypeError, ValueError):
            start = None
        if not start or start < today or start > today + timedelta(days=MAX_PORTAL_START_DAYS):
            raise UserError(
                env._(
                    "Pick the date of your first payment from today to %(last)s.",
                    last=today + timedelta(days=MAX_PORTAL_START_DAYS),
                )
            )
        currency = invoices.currency_id
        total = currency.round(sum(invoices.mapped("amount_residual")))
        down = 0.0
        if isinstance(down_payment, str) and down_payment.strip():
            try:
                down = float(down_payment.replace(",", "."))
            except ValueError:
                down = -1.0
            down = currency.round(down) if math.isfinite(down) else -1.0
            if down < 0 or float_compare(down, total, precision_rounding=currency.rounding) >= 0:
                raise UserError(
                    env._(
                        "The down payment must be a positive amount below the %(total)s your plan covers.",
                        total=format_amount(env, total, currency),
                    )
                )
        return {
            "installment_count": count,
            "interval": interval,
            "start_date": start,
            "down_payment": down,
        }

    @http.route("/my/collections/plan", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_collections_plan(
        self, installment_count=None, interval=None, start_date=None, down_payment=None, **kw
    ):
        env = request.env
        posted_ids = request.httprequest.form.getlist("invoice_ids")
        if not posted_ids:
            return self._collection_redirect(error=env._("Choose the overdue invoices your payment plan is for."))
        invoices = self._collection_posted_invoices(posted_ids)
        if not invoices:
            return self._collection_redirect(error=env._("This invoice is not one of your open invoices."))
        invoices = invoices.sorted(lambda m: (m.invoice_date_due or m.invoice_date, m.id))
        first = invoices[0]
        today = fields.Date.context_today(first)
        plan_cases = self._collection_plan_cases(self._collection_invoices(self._collection_partner()), today)
        try:
            with env.cr.savepoint():
                case = self._collection_case_of(first)
                if case not in plan_cases:
                    raise UserError(
                        env._(
                            "A payment plan for invoice %(invoice)s cannot be set up online: please contact us "
                            "to agree on one.",
                            invoice=first.name,
                        )
                    )
                policy, eligible = plan_cases[case]
                others = invoices - eligible
                if others:
                    raise UserError(
                        env._(
                            "Invoice %(invoice)s cannot be part of this payment plan: choose overdue invoices that "
                            "are not on hold, all followed up in the same file.",
                            invoice=others[0].name,
                        )
                    )
                values = self._collection_plan_values(
                    invoices, installment_count, interval, start_date, down_payment, today
                )
                collector = self._collection_collector(case, first)
                # sudo: the invoices were checked to be the user's own; the case is theirs
                plan = (
                    env["collection.payment.plan"]
                    .sudo()
                    .with_context(collection_date=today)
                    .create(
                        {
                            "case_id": case.id,
                            "invoice_ids": [Command.set(invoices.ids)],
                            "user_id": collector.id,
                            "portal_proposed": True,
                            **values,
                        }
                    )
                )
                if not plan.line_ids:
                    raise UserError(
                        env._(
                            "%(amount)s cannot be split in %(count)s installments: choose fewer installments.",
                            amount=format_amount(env, plan.amount_total - plan.down_payment, plan.currency_id),
                            count=plan.installment_count,
                        )
                    )
                reasons = plan._policy_limit_reasons(today, policy)
                summary = env._(
                    "Customer proposed payment plan %(plan)s on the portal: %(count)s installments (%(interval)s) "
                    "of %(total)s from %(date)s",
                    plan=plan.name,
                    count=plan.installment_count,
                    interval=dict(plan._fields["interval"]._description_selection(env))[plan.interval],
                    total=format_amount(env, plan.amount_total, plan.currency_id),
                    date=plan.start_date,
                )
                env["collection.event"].sudo().create(
                    case._event_vals(
                        summary, channel="portal", direction="inbound", invoice_ids=[Command.set(invoices.ids)]
                    )
                )
                if reasons:
                    review = env.ref("account_collections.mail_activity_type_review_portal_plan")
                    note = env._(
                        "Outside the limits of policy %(policy)s: %(reasons)s.",
                        policy=policy.display_name,
                        reasons="; ".join(reasons),
                    )
                    plan.activity_schedule(
                        activity_type_id=review.id,
                        summary=env._("Review portal plan %(plan)s", plan=plan.name),
                        note=Markup("<p>%s</p>") % note,
                        date_deadline=today,
                        user_id=collector.id,
                    )
                    self._collection_notify(
                        case, first, summary, Markup("<p>%s</p><p>%s</p>") % (summary, note), activity=False
                    )
                    message = env._(
                        "Thank you: we received your payment plan proposal %(plan)s. It is awaiting the approval of "
                        "our team, who will come back to you shortly.",
                        plan=plan.name,
                    )
                else:
                    plan.with_context(collection_date=today).action_activate()
                    self._collection_notify(case, first, summary, Markup("<p>%s</p>") % summary, activity=False)
                    message = env._(
                        "Thank you: your payment plan %(plan)s has started. We emailed you its schedule; you can "
                        "pay each installment online below.",
                        plan=plan.name,
                    )
        except (UserError, ValidationError) as error:
            return self._collection_redirect(error=str(error), invoice=first)
        return request.redirect(f"/my/collections?{urlencode({'success': message})}#plan-{plan.id}")

    # ------------------------------------------------------------------ online payment
    @http.route("/my/collections/installment/<int:line_id>/pay", type="http", auth="user", website=True)
    def portal_my_collections_installment_pay(self, line_id, **kw):
        """Odoo's payment form (``/payment/pay``) for what is open on the installment, on its oldest invoice."""
        line = self._collection_plan_line(line_id)
        if not line:
            return self._collection_redirect(
                error=request.env._("This installment is not one of your open installments.")
            )
        # the payments made since the daily run are allocated first: what is open is up to date
        line.plan_id._update_payments(fields.Date.context_today(line))
        if line.state == "paid":
            return self._collection_redirect(success=request.env._("Thank you: this installment is already paid."))
        invoices, amount = self._collection_installment_payment(line)
        if not invoices or float_is_zero(amount, precision_rounding=line.currency_id.rounding):
            return self._collection_redirect(
                success=request.env._("Thank you: the invoices of this payment plan are paid.")
            )
        invoice = invoices[0]
        params = {
            "amount": amount,
            "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id,
            "company_id": invoice.company_id.id,
            "invoice_id": invoice.id,
            "collection_line_id": line.id,
            "access_token": payment_utils.generate_access_token(invoice.partner_id.id, amount, invoice.currency_id.id),
        }
        return request.redirect(f"/payment/pay?{urlencode(params)}")

    def _get_extra_payment_form_values(self, collection_line_id=None, **kwargs):
        """The payment form of an installment creates its transaction on the installment's route
        (all the plan's open invoices) and lands back on the collections page."""
        values = super()._get_extra_payment_form_values(**kwargs)
        if collection_line_id and not request.env.user._is_public():
            line = self._collection_plan_line(collection_line_id)
            if line:
                values.update(
                    {
                        "transaction_route": f"/my/collections/installment/{line.id}/transaction",
                        "landing_route": "/my/collections",
                    }
                )
        return values

    @http.route("/my/collections/installment/<int:line_id>/transaction", type="json", auth="user")
    def portal_my_collections_installment_transaction(self, line_id, access_token=None, **kwargs):
        """Create the draft transaction of an installment and return its processing values.

        The amount is the installment's (what the form posts is not trusted); the transaction
        covers the plan's open invoices, which its payment is reconciled with, oldest due first.
        """
        line = self._collection_plan_line(line_id)
        if not line:
            raise ValidationError(request.env._("This installment is not one of your open installments."))
        self._validate_transaction_kwargs(kwargs)
        invoices, amount = self._collection_installment_payment(line)
        if not invoices or float_is_zero(amount, precision_rounding=line.currency_id.rounding):
            raise ValidationError(request.env._("The invoices of this payment plan are already paid."))
        kwargs.update(
            {
                "amount": amount,
                "currency_id": line.currency_id.id,
                "partner_id": request.env.user.partner_id.id,
                "reference_prefix": line.plan_id.name,
            }
        )
        tx_sudo = self._create_transaction(
            custom_create_values={
                "invoice_ids": [Command.set(invoices.ids)],
                "collection_plan_line_id": line.id,
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()
