from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero
from odoo.tools.misc import format_amount

from ..tools import GROUP_USER, check_group

DISPUTE_REASONS = [
    ("pricing", "Pricing"),
    ("quantity", "Quantity"),
    ("quality", "Quality"),
    ("not_received", "Not Received"),
    ("not_ordered", "Not Ordered"),
    ("already_paid", "Already Paid"),
    ("other", "Other"),
]
DISPUTE_STATES = [
    ("draft", "Draft"),
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("credited", "Credited"),
    ("rejected", "Rejected"),
]
# a commercial matter: the invoice's salesperson settles it unless the company routes it otherwise
# (collection.dispute.route); the collector settles the others
COMMERCIAL_REASONS = ("pricing", "quantity", "quality", "not_received")
# invoices in these payment states have nothing left to dispute
SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")


class CollectionDispute(models.Model):
    """A customer contests (part of) one invoice: dunning stops on that invoice until it is settled.

    The rest of the case keeps escalating. A dispute ends resolved (explained, dunning
    resumes), credited (a credit note for the disputed amount is posted and reconciled with
    the invoice) or rejected (dunning resumes).
    """

    _name = "collection.dispute"
    _description = "Collection Dispute"
    _inherit = ["collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    # set by the actions (and the daily run, for invoices paid meanwhile) only
    _workflow_fields = {
        "state": ("action_open", "action_resolve", "action_reject", "action_credit"),
        "date_open": ("action_open",),
        "date_deadline": ("action_open",),
        "date_closed": ("action_resolve", "action_reject", "action_credit"),
        "credit_note_id": ("action_credit",),
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/", index="trigram")
    case_id = fields.Many2one(
        "collection.case",
        string="Case",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        compute="_compute_case_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('state', '=', 'open')]",
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain="[('collection_case_id', '=', case_id), ('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]",
    )
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True)
    invoice_residual = fields.Monetary(
        related="invoice_id.amount_residual", string="Invoice Amount Due", currency_field="currency_id"
    )
    reason = fields.Selection(DISPUTE_REASONS, required=True, default="other", tracking=True)
    description = fields.Text(help="What the customer contests, in their words.")
    amount = fields.Monetary(
        string="Disputed Amount",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Part of the invoice the customer contests (the whole amount due by default).",
    )
    state = fields.Selection(
        DISPUTE_STATES, required=True, default="draft", readonly=True, copy=False, tracking=True, index=True
    )
    resolution = fields.Text(tracking=True, help="How the dispute was settled: required to close it.")
    credit_note_id = fields.Many2one("account.move", string="Credit Note", readonly=True, copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Who settles the dispute and gets its activity: the invoice's salesperson for commercial "
        "reasons, the collector otherwise (Configuration > Dispute Routing decides per reason).",
    )
    date_open = fields.Date(string="Opened On", readonly=True, copy=False)
    date_deadline = fields.Date(
        string="Settle By",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Opening date plus the company's dispute service level (Settings > Collections).",
    )
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Still open after its deadline.",
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "The disputed amount must be positive."),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("invoice_id")
    def _compute_case_id(self):
        for dispute in self:
            if dispute.invoice_id and not dispute.case_id:
                dispute.case_id = dispute.invoice_id.collection_case_id.filtered(lambda c: c.state == "open")

    @api.depends("invoice_id")
    def _compute_amount(self):
        for dispute in self:
            dispute.amount = dispute.invoice_id.amount_residual

    @api.depends("case_id", "invoice_id", "reason")
    def _compute_user_id(self):
        """Routing: the reason decides between the invoice's salesperson and the case's collector;
        without a salesperson (or an internal one), the collector takes it."""
        routes = self.env["collection.dispute.route"].sudo()._routes(self.company_id | self.case_id.company_id)
        for dispute in self:
            company = dispute.company_id or dispute.case_id.company_id
            collector = dispute.case_id.user_id or dispute.case_id.partner_id.collection_user_id
            salesperson = dispute.invoice_id.invoice_user_id
            if routes.get((company.id, dispute.reason)) == "salesperson" and salesperson and not salesperson.share:
                dispute.user_id = salesperson
            elif collector or not dispute.user_id:
                dispute.user_id = collector

    @api.depends("state", "date_deadline")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for dispute in self:
            dispute.is_overdue = bool(
                dispute.state == "open" and dispute.date_deadline and dispute.date_deadline < today
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search disputes by 'Overdue' is or is not set, nothing else."))
        overdue = [("state", "=", "open"), ("date_deadline", "<", fields.Date.context_today(self))]
        return overdue if (operator == "=") == value else ["!", "&", *overdue]

    @api.depends("name", "invoice_id")
    def _compute_display_name(self):
        for dispute in self:
            dispute.display_name = " - ".join(filter(None, [dispute.name, dispute.invoice_id.name]))

    # ------------------------------------------------------------------ constraints
    @api.constrains("case_id", "invoice_id")
    def _check_invoice(self):
        for dispute in self:
            invoice, case = dispute.invoice_id, dispute.case_id
            if invoice.move_type != "out_invoice":
                raise ValidationError(
                    self.env._(
                        "Dispute %(dispute)s: %(move)s is not a customer invoice; pick a customer invoice to dispute.",
                        dispute=dispute.name,
                        move=invoice.display_name,
                    )
                )
            if (
                invoice.commercial_partner_id != case.partner_id
                or invoice.company_id != case.company_id
                or invoice.currency_id != case.currency_id
            ):
                raise ValidationError(
                    self.env._(
                        "Dispute %(dispute)s: invoice %(invoice)s does not belong to case %(case)s "
                        "(customer, company and currency must match); pick an invoice of %(partner)s.",
                        dispute=dispute.name,
                        invoice=invoice.display_name,
                        case=case.display_name,
                        partner=case.partner_id.display_name,
                    )
                )

    @api.constrains("amount", "invoice_id", "state")
    def _check_amount(self):
        for dispute in self.filtered(lambda d: d.state in ("draft", "open")):
            dispute._check_amount_within_residual()

    def _check_amount_within_residual(self):
        self.ensure_one()
        residual = self.invoice_id.amount_residual
        if float_compare(self.amount, residual, precision_rounding=self.currency_id.rounding) > 0:
            raise ValidationError(
                self.env._(
                    "Dispute %(dispute)s: the disputed amount %(amount)s is more than the %(residual)s still due "
                    "on %(invoice)s; lower the amount.",
                    dispute=self.name,
                    amount=format_amount(self.env, self.amount, self.currency_id),
                    residual=format_amount(self.env, residual, self.currency_id),
                    invoice=self.invoice_id.display_name,
                )
            )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("collection.dispute") or "/"
        return super().create(vals_list)

    def write(self, vals):
        """What a dispute is about is set while it is a draft; its amount until it is settled (the
        form's read-only states, for every caller: a credit note and the hold follow them)."""
        frozen = {"case_id", "invoice_id"} & vals.keys()
        if not self.env.su and (frozen or "amount" in vals):
            for dispute in self:
                settled = dispute.state not in ("draft", "open")
                if (frozen and dispute.state != "draft") or ("amount" in vals and settled):
                    raise UserError(
                        self.env._(
                            "Dispute %(dispute)s is %(state)s: its invoice and case change only while it is a draft, "
                            "its amount only until it is settled; open a new dispute instead.",
                            dispute=dispute.name,
                            state=dict(DISPUTE_STATES)[dispute.state],
                        )
                    )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for dispute in self.filtered(lambda d: d.state != "draft"):
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s is %(state)s and part of the case's history: only draft disputes "
                    "can be deleted.",
                    dispute=dispute.name,
                    state=dict(DISPUTE_STATES)[dispute.state],
                )
            )

    # ------------------------------------------------------------------ opening
    def action_open(self):
        """Open the disputes: dunning stops on the disputed invoices (only those)."""
        check_group(self.env, GROUP_USER, self.env._("open a dispute"))
        others = self.search([("state", "=", "open"), ("invoice_id", "in", self.invoice_id.ids)])
        for dispute in self:
            duplicate = (others | self).filtered(lambda d, cur=dispute: d.invoice_id == cur.invoice_id and d != cur)
            if duplicate:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s is already disputed in %(other)s: settle that dispute "
                        "or update its amount instead of opening %(dispute)s.",
                        invoice=dispute.invoice_id.display_name,
                        other=duplicate[0].name,
                        dispute=dispute.name,
                    )
                )
        for dispute in self:
            dispute._check_can_open()
        today = fields.Date.context_today(self)
        for company, disputes in self.grouped("company_id").items():
            disputes._write_workflow(
                {
                    "state": "open",
                    "date_open": today,
                    "date_deadline": today + timedelta(days=company.collection_dispute_sla_days),
                }
            )
        self.env["collection.event"].sudo().create(
            [
                dispute.case_id._event_vals(
                    self.env._(
                        "Dispute %(dispute)s opened on %(invoice)s (%(reason)s): %(amount)s",
                        dispute=dispute.name,
                        invoice=dispute.invoice_id.name,
                        reason=dict(self._fields["reason"]._description_selection(self.env))[dispute.reason],
                        amount=format_amount(self.env, dispute.amount, dispute.currency_id),
                    ),
                    channel=self._event_channel(),
                    direction="inbound",
                    invoice_ids=[Command.set(dispute.invoice_id.ids)],
                    note=dispute.description or False,
                )
                for dispute in self
            ]
        )
        self.case_id._sync_dispute_stage()
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for dispute in self:
            dispute.activity_schedule(
                activity_type_id=todo.id if todo else False,
                summary=self.env._("Settle dispute %(dispute)s", dispute=dispute.name),
                note=dispute.description or False,
                date_deadline=dispute.date_deadline,
                user_id=(dispute.user_id or dispute.case_id.user_id or self.env.user).id,
            )
        return True

    def _check_can_open(self):
        self.ensure_one()
        invoice = self.invoice_id
        if self.state != "draft":
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s is already %(state)s: only draft disputes can be opened.",
                    dispute=self.name,
                    state=dict(DISPUTE_STATES)[self.state],
                )
            )
        if self.case_id.state != "open":
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: dispute %(dispute)s can only be opened on an open case.",
                    case=self.case_id.display_name,
                    dispute=self.name,
                )
            )
        if (
            invoice.state != "posted"
            or invoice.payment_state in SETTLED_PAYMENT_STATES
            or float_is_zero(invoice.amount_residual, precision_rounding=self.currency_id.rounding)
        ):
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s has nothing left to dispute (not posted or already paid): "
                    "dispute %(dispute)s needs an open invoice.",
                    invoice=invoice.display_name,
                    dispute=self.name,
                )
            )
        invoice._collection_check_agreement("dispute", self)
        self._check_amount_within_residual()

    def _write_workflow(self, vals):
        """A new state may start or end the hold of the invoice (``account.move.collection_hold``
        follows it): the case is refreshed when it does."""
        if "state" not in vals:
            return super()._write_workflow(vals)
        with self.invoice_id._collection_refresh_held():
            return super()._write_workflow(vals)

    def _event_channel(self):
        return "portal" if self.env.context.get("collection_channel") == "portal" else "system"

    # ------------------------------------------------------------------ settling
    def action_resolve(self):
        """Settle in the customer's favour without a credit note (e.g. explained); dunning resumes."""
        check_group(self.env, GROUP_USER, self.env._("settle a dispute"))
        self._check_can_close()
        self._close("resolved")
        return True

    def action_reject(self):
        """The dispute is unfounded: dunning resumes on the invoice."""
        check_group(self.env, GROUP_USER, self.env._("reject a dispute"))
        self._check_can_close()
        self._close("rejected")
        return True

    def action_credit(self):
        """Credit the disputed amount: a credit note, posted and reconciled with the invoice."""
        check_group(self.env, GROUP_USER, self.env._("credit a dispute"))
        self._check_can_close()
        for dispute in self:
            dispute._check_amount_within_residual()
        for dispute in self:
            dispute._write_workflow({"credit_note_id": dispute._create_credit_note().id})
        self._close("credited")
        return True

    def _check_can_close(self):
        for dispute in self:
            if dispute.state != "open":
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s is %(state)s: only open disputes can be settled.",
                        dispute=dispute.name,
                        state=dict(DISPUTE_STATES)[dispute.state],
                    )
                )
            if not (dispute.resolution or "").strip():
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s: write the resolution (how it was settled) before closing it.",
                        dispute=dispute.name,
                    )
                )

    def _create_credit_note(self):
        """Credit note for the disputed amount, through Odoo's reversal wizard.

        The wizard's ``refund_moves`` creates a draft credit note copying the invoice. When the
        whole untouched invoice is disputed, that copy is posted as is (taxes reversed too).
        For a partial amount, its lines are replaced by one line of the disputed amount on the
        invoice's income account, without taxes, so the receivable drops by exactly that amount.
        The credit note is then posted and reconciled with the invoice.
        """
        self.ensure_one()
        invoice = self.invoice_id
        rounding = self.currency_id.rounding
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "reason": self.env._("Dispute %(dispute)s", dispute=self.name),
                    "journal_id": invoice.journal_id.id,
                    "date": fields.Date.context_today(self),
                }
            )
        )
        wizard.refund_moves()
        credit_note = wizard.new_move_ids
        full = float_compare(self.amount, invoice.amount_total, precision_rounding=rounding) == 0 and not float_compare(
            invoice.amount_residual, invoice.amount_total, precision_rounding=rounding
        )
        if not full:
            product_lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
            credit_note.write(
                {
                    "invoice_line_ids": [Command.delete(line.id) for line in credit_note.invoice_line_ids]
                    + [
                        Command.create(
                            {
                                "name": self.env._(
                                    "Dispute %(dispute)s on %(invoice)s: %(reason)s",
                                    dispute=self.name,
                                    invoice=invoice.name,
                                    reason=dict(self._fields["reason"]._description_selection(self.env))[self.reason],
                                ),
                                "account_id": product_lines[:1].account_id.id,
                                "quantity": 1,
                                "price_unit": self.amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        credit_note.action_post()
        receivables = (invoice.line_ids | credit_note.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        receivables.reconcile()
        return credit_note

    def _close(self, state, resolution=None):
        """End the disputes in ``state``: log it, release the invoices, move the cases back."""
        if not self:
            return
        labels = {
            "resolved": self.env._("resolved"),
            "credited": self.env._("credited"),
            "rejected": self.env._("rejected"),
        }
        vals = {"state": state, "date_closed": fields.Date.context_today(self)}
        if resolution:
            vals["resolution"] = resolution
        self._write_workflow(vals)
        events = []
        for dispute in self:
            name = self.env._(
                "Dispute %(dispute)s on %(invoice)s %(outcome)s",
                dispute=dispute.name,
                invoice=dispute.invoice_id.name,
                outcome=labels[state],
            )
            if dispute.credit_note_id:
                name = self.env._(
                    "%(summary)s: credit note %(credit_note)s of %(amount)s",
                    summary=name,
                    credit_note=dispute.credit_note_id.name,
                    amount=format_amount(self.env, dispute.amount, dispute.currency_id),
                )
            events.append(
                dispute.case_id._event_vals(
                    name,
                    channel=self._event_channel(),
                    invoice_ids=[Command.set((dispute.invoice_id | dispute.credit_note_id).ids)],
                    note=dispute.resolution,
                )
            )
        self.env["collection.event"].sudo().create(events)
        self.activity_feedback(["mail.mail_activity_data_todo"], feedback=resolution or None)
        self.case_id._sync_dispute_stage()

    @api.model
    def _engine_settle(self, run):
        """The engine's settle step (engine/settle_agreements.py): open disputes whose invoice got
        paid in full (or reversed) resolve by themselves."""
        settled = self.search(
            [
                ("state", "=", "open"),
                ("company_id", "in", run.companies.ids),
                ("invoice_id.payment_state", "in", ("paid", "in_payment", "reversed")),
            ]
        )
        settled._close("resolved", resolution=self.env._("The invoice was paid in full: nothing left to dispute."))

    # ------------------------------------------------------------------ navigation
    def action_view_credit_note(self):
        check_group(self.env, GROUP_USER, self.env._("open the credit note of a dispute"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.credit_note_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_open_resolve_wizard(self):
        """Form buttons: ask the resolution text, then settle with the decision the button names."""
        check_group(self.env, GROUP_USER, self.env._("settle a dispute"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Settle Dispute %(dispute)s", dispute=self.name),
            "res_model": "collection.dispute.resolve",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_dispute_id": self.id,
                "default_decision": self.env.context.get("dispute_decision", "resolve"),
                "default_resolution": self.resolution,
            },
        }
