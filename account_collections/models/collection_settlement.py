from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, float_round
from odoo.tools.misc import format_amount

from ..tools import GROUP_USER, check_group

SETTLEMENT_STATES = [
    ("draft", "Draft"),
    ("offered", "Offered"),
    ("accepted", "Accepted"),
    ("paid", "Paid"),
    ("lapsed", "Lapsed"),
    ("cancelled", "Cancelled"),
]
# the offer stands: its invoices are on hold and the daily run watches the payments
LIVE_STATES = ("offered", "accepted")
OPEN_PAYMENT_STATES = ("not_paid", "partial")


class CollectionSettlement(models.Model):
    """A full and final settlement: the customer pays less than owed by a deadline, the rest is written off.

    Offered, the settlement is emailed to the customer with a link to accept it on the portal,
    and its invoices go on hold (``collection_hold = "settlement"``): no reminder while it
    stands. The daily run then settles it by itself: paid as soon as the covered invoices
    received the settled amount since the offer (the remainder is written off through
    ``collection.write.off``), lapsed when the deadline passed without it (the hold is lifted
    and dunning resumes). The discount a collector may grant is capped per group in the
    company settings.
    """

    _name = "collection.settlement"
    _description = "Settlement Offer"
    _inherit = [
        "collection.agreement.mixin",
        "collection.workflow.mixin",
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True

    # the terms of the offer: fixed once offered
    _LOCKED_FIELDS = frozenset({"case_id", "invoice_ids", "amount_settled", "discount_percentage", "deadline"})
    # set by the actions (within the discount cap) and the daily run only
    _workflow_fields = {
        "state": ("action_offer", "action_accept", "action_cancel"),
        "amount_due": ("action_offer",),
        "offer_date": ("action_offer",),
        "accept_date": ("action_accept",),
        "accepted_on_portal": ("action_accept",),
        "close_date": ("action_cancel",),
        "write_off_id": ("run_collections",),
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/", index="trigram")
    invoice_ids = fields.Many2many(
        "account.move",
        "collection_settlement_account_move_rel",
        "settlement_id",
        "move_id",
        string="Invoices",
        copy=False,
        check_company=True,
        domain="[('collection_case_id', '=', case_id), ('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]",
        help="Open invoices the settlement pays off in full and final. Left empty, it covers every open "
        "invoice of the case.",
    )
    amount_due = fields.Monetary(
        compute="_compute_amount_due",
        store=True,
        readonly=True,
        help="What the covered invoices owed when the offer was made.",
    )
    amount_settled = fields.Monetary(
        string="Settlement Amount",
        tracking=True,
        help="The amount accepted as full and final payment of the covered invoices.",
    )
    discount_percentage = fields.Float(
        string="Discount (%)",
        compute="_compute_discount_percentage",
        inverse="_inverse_discount_percentage",
        store=True,
        readonly=False,
        digits=(16, 2),
        help="Share of the amount due given up: enter it, or the settlement amount.",
    )
    amount_discount = fields.Monetary(
        string="Written Off if Paid",
        compute="_compute_discount_percentage",
        store=True,
        help="What is written off when the settlement amount is paid on time.",
    )
    amount_paid = fields.Monetary(
        string="Paid Since Offer",
        compute="_compute_amount_paid",
        help="Paid on the covered invoices since the offer was made.",
    )
    amount_residual = fields.Monetary(
        string="Still Due", compute="_compute_amount_paid", help="What the covered invoices still owe today."
    )
    deadline = fields.Date(
        required=True,
        tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=14),
        help="The settlement amount must be paid by this date, else the offer lapses and dunning resumes.",
    )
    state = fields.Selection(
        SETTLEMENT_STATES, default="draft", required=True, readonly=True, copy=False, index=True, tracking=True
    )
    offer_date = fields.Date(string="Offered On", readonly=True, copy=False)
    accept_date = fields.Date(string="Accepted On", readonly=True, copy=False)
    accepted_on_portal = fields.Boolean(
        string="Accepted by the Customer", readonly=True, copy=False, help="Accepted on the customer portal."
    )
    close_date = fields.Date(string="Closed On", readonly=True, copy=False)
    write_off_id = fields.Many2one(
        "collection.write.off",
        string="Write-off",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="Write-off of the remainder, posted when the settlement amount was paid.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    note = fields.Text(string="Terms", help="Conditions of the offer, shown to the customer.")
    cancel_reason = fields.Char(string="Cancellation Reason", copy=False, tracking=True)

    _sql_constraints = [
        (
            "amounts_positive",
            "CHECK(amount_settled IS NULL OR amount_settled >= 0)",
            "The settlement amount cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("invoice_ids")
    def _compute_amount_due(self):
        # the invoices cannot change once offered (see write): the amount stays what was offered on
        for settlement in self:
            settlement.amount_due = settlement.currency_id.round(sum(settlement.invoice_ids.mapped("amount_residual")))

    @api.depends("amount_settled", "amount_due")
    def _compute_discount_percentage(self):
        for settlement in self:
            due = settlement.amount_due
            settled = settlement.amount_settled
            settlement.discount_percentage = settlement._percentage_for_amount(settled)
            settlement.amount_discount = max(0.0, settlement.currency_id.round(due - settled)) if due else 0.0

    def _inverse_discount_percentage(self):
        for settlement in self:
            # a percentage that only reflects the amount entered (rounded) keeps that amount
            if float_compare(
                settlement._percentage_for_amount(settlement.amount_settled),
                settlement.discount_percentage,
                precision_digits=2,
            ):
                settlement.amount_settled = settlement._amount_for_percentage(settlement.discount_percentage)

    def _percentage_for_amount(self, amount):
        self.ensure_one()
        due = self.amount_due
        return float_round((1 - (amount or 0.0) / due) * 100.0, precision_digits=2) if due > 0 else 0.0

    def _amount_for_percentage(self, percentage):
        self.ensure_one()
        return self.currency_id.round(self.amount_due * (1 - (percentage or 0.0) / 100.0))

    @api.onchange("discount_percentage")
    def _onchange_discount_percentage(self):
        # keep the amount the user typed when the percentage only reflects it (rounding)
        if float_compare(
            self._percentage_for_amount(self.amount_settled), self.discount_percentage, precision_digits=2
        ):
            self.amount_settled = self._amount_for_percentage(self.discount_percentage)

    @api.onchange("case_id")
    def _onchange_case_id(self):
        if self.case_id and not self.invoice_ids:
            self.invoice_ids = self.case_id._settlement_invoices()

    @api.depends("invoice_ids.amount_residual", "amount_due", "offer_date")
    def _compute_amount_paid(self):
        for settlement in self:
            residual = settlement.currency_id.round(sum(settlement.invoice_ids.mapped("amount_residual")))
            settlement.amount_residual = residual
            settlement.amount_paid = (
                max(0.0, settlement.currency_id.round(settlement.amount_due - residual))
                if settlement.offer_date
                else 0.0
            )

    def _compute_access_url(self):
        for settlement in self:
            settlement.access_url = f"/my/collections/settlement/{settlement.id}"

    @api.depends("name", "case_id", "amount_settled")
    def _compute_display_name(self):
        for settlement in self:
            if not settlement.name or settlement.name == "/":
                settlement.display_name = self.env._("New Settlement Offer")
                continue
            settlement.display_name = settlement.name

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            case = self.env["collection.case"].browse(vals.get("case_id"))
            if case and not vals.get("invoice_ids"):
                # API convenience: an offer on a case covers its open invoices
                vals["invoice_ids"] = [Command.set(case._settlement_invoices().ids)]
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("collection.settlement") or "/"
        settlements = super().create(vals_list)
        for settlement, vals in zip(settlements, vals_list, strict=True):
            if "discount_percentage" in vals and "amount_settled" not in vals:
                settlement.amount_settled = settlement._amount_for_percentage(vals["discount_percentage"])
        return settlements

    def write(self, vals):
        locked = set(vals) & self._LOCKED_FIELDS
        offered = self.filtered(lambda s: s.state != "draft")
        if locked and offered:
            raise UserError(
                self.env._(
                    "Settlement %(settlements)s was already offered: its terms (%(fields)s) cannot change. "
                    "Cancel it and make a new offer instead.",
                    settlements=", ".join(offered.mapped("display_name")),
                    fields=", ".join(sorted(self._fields[name].string for name in locked)),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        offered = self.filtered(lambda s: s.state != "draft")
        if offered:
            raise UserError(
                self.env._(
                    "Settlement offers %(settlements)s were sent to the customer and stay on record: "
                    "cancel them instead of deleting.",
                    settlements=", ".join(offered.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------ validation
    @api.constrains("invoice_ids", "case_id")
    def _check_invoices(self):
        for settlement in self:
            strangers = settlement.invoice_ids.filtered(lambda m, s=settlement: m.collection_case_id != s.case_id)
            if strangers:
                raise ValidationError(
                    self.env._(
                        "Settlement %(settlement)s covers %(invoices)s, not invoices of case %(case)s: "
                        "remove them or make the offer on their own case.",
                        settlement=settlement.display_name,
                        invoices=", ".join(strangers.mapped("name")),
                        case=settlement.case_id.display_name,
                    )
                )

    def _validate_offer(self, today):
        """Raise a UserError naming the offer and the fix when it cannot be made."""
        self.ensure_one()
        name = self.display_name
        currency = self.currency_id
        if self.case_id.state != "open":
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: there is nothing left to settle (%(settlement)s).",
                    case=self.case_id.display_name,
                    settlement=name,
                )
            )
        if not self.invoice_ids:
            raise UserError(
                self.env._(
                    "Settlement %(settlement)s covers no invoice: select the open invoices it settles.", settlement=name
                )
            )
        closed = self.invoice_ids.filtered(
            lambda m: m.state != "posted"
            or m.move_type not in ("out_invoice", "out_receipt")
            or m.payment_state not in OPEN_PAYMENT_STATES
        )
        if closed:
            raise UserError(
                self.env._(
                    "%(invoices)s are not open customer invoices any more: remove them from %(settlement)s.",
                    invoices=", ".join(closed.mapped("name")),
                    settlement=name,
                )
            )
        self.invoice_ids._collection_check_agreement("settlement", self)
        if float_compare(self.amount_settled, 0.0, precision_rounding=currency.rounding) <= 0:
            raise UserError(
                self.env._("Settlement %(settlement)s: the settlement amount must be more than zero.", settlement=name)
            )
        if float_compare(self.amount_settled, self.amount_due, precision_rounding=currency.rounding) >= 0:
            raise UserError(
                self.env._(
                    "Settlement %(settlement)s: %(amount)s is not less than the %(due)s due; a settlement "
                    "gives up part of the debt. Lower the amount, or simply remind the customer.",
                    settlement=name,
                    amount=format_amount(self.env, self.amount_settled, currency),
                    due=format_amount(self.env, self.amount_due, currency),
                )
            )
        if not self.deadline or self.deadline < today:
            raise UserError(
                self.env._(
                    "Settlement %(settlement)s: the deadline %(date)s is in the past. Pick today or a later date.",
                    settlement=name,
                    date=self.deadline,
                )
            )
        self._check_discount_limit()

    def _discount_limits(self):
        """(limit for Collections Users, limit for Collections Managers) of the offer's company, in %."""
        self.ensure_one()
        company = self.company_id
        return company.collection_settlement_user_max_discount, company.collection_settlement_manager_max_discount

    def _check_discount_limit(self, user=None):
        """The discount must be within what the user's group may grant (company settings).

        :param user: who makes the offer (default: the current user, even under sudo)
        """
        self.ensure_one()
        user = user or self.env.user
        user_limit, manager_limit = self._discount_limits()
        is_manager = user.has_group("account_collections.group_collection_manager")
        limit = manager_limit if is_manager else user_limit
        if float_compare(self.discount_percentage, limit, precision_digits=2) <= 0:
            return
        if is_manager:
            raise UserError(
                self.env._(
                    "Settlement %(settlement)s gives up %(discount).2f %% of the debt, beyond the limit of "
                    "%(limit).2f %% set for Collections Managers of %(company)s. Lower the discount, or raise "
                    "that limit in Accounting > Configuration > Settings > Collections.",
                    settlement=self.display_name,
                    discount=self.discount_percentage,
                    limit=limit,
                    company=self.company_id.name,
                )
            )
        raise UserError(
            self.env._(
                "Settlement %(settlement)s gives up %(discount).2f %% of the debt, beyond your limit of "
                "%(limit).2f %% as a Collections User. Lower the discount, or ask a Collections Manager "
                "(allowed up to %(manager_limit).2f %%) to make this offer.",
                settlement=self.display_name,
                discount=self.discount_percentage,
                limit=limit,
                manager_limit=manager_limit,
            )
        )

    # ------------------------------------------------------------------ actions
    def action_offer(self):
        """Draft to offered: the invoices go on hold and the offer is emailed with its accept link."""
        check_group(self.env, GROUP_USER, self.env._("offer a settlement"))
        not_draft = self.filtered(lambda s: s.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Only draft settlement offers can be offered; %(settlements)s already were.",
                    settlements=", ".join(not_draft.mapped("display_name")),
                )
            )
        today = self.env["collection.case"]._collection_today()
        for settlement in self:
            # the amount due is what the invoices owe now, the percentage follows
            residual = settlement.currency_id.round(sum(settlement.invoice_ids.mapped("amount_residual")))
            if float_compare(residual, settlement.amount_due, precision_rounding=settlement.currency_id.rounding):
                settlement._write_workflow({"amount_due": residual})
        for settlement in self:
            settlement._validate_offer(today)
        # the accept link's token first: Odoo writes it as superuser, the offer is the collector's
        for settlement in self:
            settlement._portal_ensure_token()
        self._write_workflow({"state": "offered", "offer_date": today})
        self.env["collection.event"].sudo().create(
            [
                settlement.case_id._event_vals(
                    self.env._(
                        "Settlement %(settlement)s offered: %(amount)s instead of %(due)s (-%(discount).2f %%) "
                        "if paid by %(date)s",
                        settlement=settlement.name,
                        amount=format_amount(self.env, settlement.amount_settled, settlement.currency_id),
                        due=format_amount(self.env, settlement.amount_due, settlement.currency_id),
                        discount=settlement.discount_percentage,
                        date=settlement.deadline,
                    ),
                    invoice_ids=[Command.set(settlement.invoice_ids.ids)],
                    note=settlement.note or False,
                )
                for settlement in self
            ]
        )
        self._send_offer()
        return True

    def _send_offer(self):
        """Queue the offer email (amount, deadline, accept link) to each customer, logged on the case."""
        template = self.env.ref("account_collections.mail_template_collection_settlement", raise_if_not_found=False)
        if template:
            self._email_customers(
                template,
                lambda settlement: (
                    self.env._("Settlement %(settlement)s: offer emailed", settlement=settlement.name),
                    self.env._("Settlement %(settlement)s: offer not emailed", settlement=settlement.name),
                ),
            )

    def action_accept(self, on_portal=False):
        """The customer accepts the offer (on the portal, or told the collector): it stands until paid.

        :param on_portal: accepted by the customer on the portal (logged as an inbound portal event);
            only the portal's own (superuser) path says so
        """
        check_group(self.env, GROUP_USER, self.env._("accept a settlement offer"))
        if on_portal and not self.env.su:
            raise AccessError(
                self.env._(
                    "Only the customer accepts %(settlements)s on the portal: record the customer's answer with "
                    "action_accept() (Mark Accepted) instead.",
                    settlements=", ".join(self.mapped("display_name")),
                )
            )
        not_offered = self.filtered(lambda s: s.state != "offered")
        if not_offered:
            raise UserError(
                self.env._(
                    "Only settlement offers waiting for an answer can be accepted; %(settlements)s is not.",
                    settlements=", ".join(not_offered.mapped("display_name")),
                )
            )
        today = self.env["collection.case"]._collection_today()
        late = self.filtered(lambda s: s.deadline < today)
        if late:
            raise UserError(
                self.env._(
                    "The offer %(settlements)s expired on %(date)s: it can no longer be accepted.",
                    settlements=", ".join(late.mapped("display_name")),
                    date=late[0].deadline,
                )
            )
        self._write_workflow({"state": "accepted", "accept_date": today, "accepted_on_portal": bool(on_portal)})
        self.env["collection.event"].sudo().create(
            [
                settlement.case_id._event_vals(
                    self.env._(
                        "Settlement %(settlement)s accepted: %(amount)s to pay by %(date)s",
                        settlement=settlement.name,
                        amount=format_amount(self.env, settlement.amount_settled, settlement.currency_id),
                        date=settlement.deadline,
                    ),
                    channel="portal" if on_portal else "system",
                    direction="inbound" if on_portal else "outbound",
                    invoice_ids=[Command.set(settlement.invoice_ids.ids)],
                )
                for settlement in self
            ]
        )
        return True

    def action_cancel(self, reason=None):
        """Withdraw the offer: the hold is lifted and dunning resumes.

        :param reason: why (else the offer's Cancellation Reason); required once offered
        """
        check_group(self.env, GROUP_USER, self.env._("withdraw a settlement offer"))
        done = self.filtered(lambda s: s.state not in ("draft", *LIVE_STATES))
        if done:
            raise UserError(
                self.env._(
                    "Settlement offers %(settlements)s are already closed and cannot be cancelled.",
                    settlements=", ".join(done.mapped("display_name")),
                )
            )
        live = self.filtered(lambda s: s.state in LIVE_STATES)
        missing = live.filtered(lambda s: not (reason or s.cancel_reason or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Say why the offer %(settlements)s is withdrawn: fill in 'Cancellation Reason'.",
                    settlements=", ".join(missing.mapped("display_name")),
                )
            )
        vals = {"state": "cancelled", "close_date": self.env["collection.case"]._collection_today()}
        if reason:
            vals["cancel_reason"] = reason
        self._write_workflow(vals)
        live._release(
            {
                settlement: self.env._(
                    "Settlement %(settlement)s withdrawn: %(reason)s",
                    settlement=settlement.name,
                    reason=settlement.cancel_reason,
                )
                for settlement in live
            }
        )
        return True

    def action_view_write_off(self):
        check_group(self.env, GROUP_USER, self.env._("open the write-off of a settlement"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.write.off",
            "res_id": self.write_off_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_preview(self):
        """Open the offer as the customer sees it on the portal."""
        check_group(self.env, GROUP_USER, self.env._("preview a settlement offer"))
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.get_portal_url(), "target": "new"}

    # ------------------------------------------------------------------ daily run
    @api.model
    def _engine_settle(self, run):
        """The engine's settle step (engine/settle_agreements.py): standing offers become paid
        (remainder written off) or lapse."""
        self._settle_live_offers(run.companies, run.today)

    @api.model
    def _settle_live_offers(self, companies, today):
        """Paid or lapsed: called by the daily run before the levels execute.

        Paid as soon as the covered invoices received the settlement amount since the offer (the
        remainder is then written off); lapsed once the deadline has passed without it.
        """
        live = self.search([("state", "in", LIVE_STATES), ("company_id", "in", companies.ids)])
        if not live:
            return
        live.invoice_ids.fetch(["amount_residual", "payment_state"])
        paid = live.filtered(lambda s: s._is_paid())
        lapsed = (live - paid).filtered(lambda s: s.deadline < today)
        failed = []
        for settlement in paid:
            # one write-off per offer: each gets its own journal entry and its own audit trail; a
            # write-off refused (settings missing, locked period) leaves the offer standing for the
            # next run, and says why in the log
            try:
                with self.env.cr.savepoint():
                    settlement._close_paid(today)
            except UserError as error:
                failed.append(
                    settlement.case_id._event_vals(
                        self.env._(
                            "Settlement %(settlement)s paid, but the remainder could not be written off",
                            settlement=settlement.name,
                        ),
                        state="failed",
                        reason=str(error),
                        reason_code="config",
                        invoice_ids=[Command.set(settlement.invoice_ids.ids)],
                    )
                )
        if failed:
            self.env["collection.event"].sudo().create(failed)
        if lapsed:
            lapsed._write_workflow({"state": "lapsed", "close_date": today})
            lapsed._release(
                {
                    settlement: self.env._(
                        "Settlement %(settlement)s lapsed: %(paid)s of %(amount)s paid by %(date)s; dunning resumes",
                        settlement=settlement.name,
                        paid=format_amount(self.env, settlement.amount_paid, settlement.currency_id),
                        amount=format_amount(self.env, settlement.amount_settled, settlement.currency_id),
                        date=settlement.deadline,
                    )
                    for settlement in lapsed
                },
                lapsed=True,
            )

    def _is_paid(self):
        """Paid once the covered invoices received at least the settlement amount since the offer."""
        self.ensure_one()
        return float_compare(self.amount_paid, self.amount_settled, precision_rounding=self.currency_id.rounding) >= 0

    def _close_paid(self, today):
        """The settlement amount came in: write off what is left of the invoices, close the offer."""
        self.ensure_one()
        remaining = self.invoice_ids.filtered(lambda m: m.state == "posted" and m.payment_state in OPEN_PAYMENT_STATES)
        remainder = self.currency_id.round(sum(remaining.mapped("amount_residual")))
        write_off = self.env["collection.write.off"]
        if remaining and not float_is_zero(remainder, precision_rounding=self.currency_id.rounding):
            write_off = self.env["collection.write.off"].create(
                {
                    "case_id": self.case_id.id,
                    "invoice_ids": [Command.set(remaining.ids)],
                    "reason": self.env._(
                        "Settlement %(settlement)s paid: %(paid)s received, remainder given up as agreed",
                        settlement=self.name,
                        paid=format_amount(self.env, self.amount_paid, self.currency_id),
                    ),
                    "reason_code": "settlement",
                    "origin": self.name,
                    # a run simulating a later day still books on the real date
                    "date": min(today, fields.Date.context_today(self)),
                }
            )
            write_off.action_post()
        self._write_workflow({"state": "paid", "close_date": today, "write_off_id": write_off.id or False})
        self._release(
            {
                self: self.env._(
                    "Settlement %(settlement)s paid: %(paid)s received, %(remainder)s written off",
                    settlement=self.name,
                    paid=format_amount(self.env, self.amount_paid, self.currency_id),
                    remainder=format_amount(self.env, remainder if write_off else 0.0, self.currency_id),
                )
            }
        )

    def _release(self, names, lapsed=False):
        """Lift the settlement hold of offers that just ended and log it on their cases.

        :param names: {settlement: event summary}
        :param lapsed: the offer lapsed: the collector gets a to-do to follow up
        """
        if not self:
            return
        self.env["collection.event"].sudo().create(
            [
                settlement.case_id._event_vals(names[settlement], invoice_ids=[Command.set(settlement.invoice_ids.ids)])
                for settlement in self
            ]
        )
        if lapsed:
            for settlement in self.filtered(lambda s: s.case_id.state == "open"):
                case = settlement.case_id
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=case._collection_today(),
                    summary=self.env._(
                        "Settlement offer %(settlement)s lapsed: dunning resumed", settlement=settlement.name
                    ),
                    user_id=(case.user_id or settlement.user_id or self.env.user).id,
                )
