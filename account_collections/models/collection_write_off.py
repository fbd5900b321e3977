from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

from ..tools import GROUP_USER, check_group, collection_today

WRITE_OFF_REASONS = [
    ("uncollectible", "Uncollectible"),
    ("settlement", "Settlement"),
    ("small_balance", "Small Balance"),
    ("insolvency", "Insolvency"),
    ("time_barred", "Time-barred"),
    ("other", "Other"),
]
WRITE_OFF_MODES = [("entry", "Journal Entry"), ("credit_note", "Credit Note")]
# payment states of an invoice that still has something to write off
OPEN_PAYMENT_STATES = ("not_paid", "partial")


class CollectionWriteOff(models.Model):
    """Bad-debt write-off of what is left to pay on customer invoices.

    Plain API (also used by settlement offers)::

        env["collection.write.off"].create({
            "case_id": case.id, "invoice_ids": [(6, 0, invoices.ids)],
            "reason": "...", "reason_code": "settlement", "origin": "...",
        }).action_post()

    ``amount`` defaults to the invoices' open amount (in their currency) and may be lowered
    for a partial write-off, oldest due invoice first. Posting validates everything first
    (configuration, invoices, amount, lock dates, the manager limit), then books either one
    journal entry (bad-debt expense against the receivable) or one customer credit note per
    invoice (bad-debt account and the invoice's taxes, pro rata), reconciles it with the
    invoices and refreshes the case: a case left with nothing to collect moves to the
    written-off stage. ``action_reverse`` reverses the accounting with Odoo's reversal,
    which reopens the invoices and the case.
    """

    _name = "collection.write.off"
    _description = "Bad Debt Write-off"
    _inherit = ["collection.workflow.mixin", "mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    # set by posting (within the write-off limit) and reversing only
    _workflow_fields = {
        "state": ("action_post", "action_reverse"),
        "move_id": ("action_post",),
        "move_ids": ("action_post",),
        "user_id": ("action_post",),
        "previous_stage_id": ("action_post",),
        "reversal_move_ids": ("action_reverse",),
        "reversal_date": ("action_reverse",),
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/", index="trigram")
    case_id = fields.Many2one(
        "collection.case",
        string="Collection Case",
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
        help="Case of the invoices; taken from the invoices when left empty.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_company",
        store=True,
        index=True,
        precompute=True,
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_partner_company",
        store=True,
        index=True,
        precompute=True,
        required=True,
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_partner_company", store=True, precompute=True, required=True
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    invoice_ids = fields.Many2many(
        "account.move",
        "collection_write_off_invoice_rel",
        "write_off_id",
        "move_id",
        string="Invoices",
        copy=False,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
        help="Customer invoices whose open amount is written off.",
    )
    amount_residual = fields.Monetary(
        string="Open Amount", compute="_compute_amount_residual", help="What is left to pay on the invoices now."
    )
    amount = fields.Monetary(
        string="Amount Written Off",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="In the invoices' currency. Defaults to their open amount; lower it for a partial write-off "
        "(oldest due invoice first).",
    )
    reason = fields.Text(required=True, tracking=True, help="Why the debt is written off: kept in the case log.")
    reason_code = fields.Selection(WRITE_OFF_REASONS, string="Reason Type", required=True, default="uncollectible")
    date = fields.Date(
        string="Accounting Date",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="Date of the write-off entry or credit note. It cannot fall in a locked period.",
    )
    mode = fields.Selection(
        WRITE_OFF_MODES,
        compute="_compute_mode",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="Journal Entry: bad-debt expense against the receivable, VAT untouched. "
        "Credit Note: a customer credit note on the bad-debt account with the invoice's taxes pro rata, "
        "to recover the output VAT where the law allows bad-debt relief.",
    )
    move_id = fields.Many2one(
        "account.move", string="Write-off Entry", readonly=True, copy=False, help="The posted entry or credit note."
    )
    move_ids = fields.Many2many(
        "account.move",
        "collection_write_off_move_rel",
        "write_off_id",
        "move_id",
        string="Accounting Documents",
        readonly=True,
        copy=False,
        help="Every entry or credit note the write-off posted (one credit note per invoice in credit note mode).",
    )
    reversal_move_ids = fields.Many2many(
        "account.move",
        "collection_write_off_reversal_rel",
        "write_off_id",
        "move_id",
        string="Reversals",
        readonly=True,
        copy=False,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("reversed", "Reversed")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    origin = fields.Char(help="What led to the write-off, e.g. 'settlement' and the offer's reference.")
    user_id = fields.Many2one("res.users", string="Written Off By", readonly=True, copy=False)
    previous_stage_id = fields.Many2one(
        "collection.stage", readonly=True, copy=False, help="Stage of the case before the write-off closed it."
    )
    reversal_date = fields.Date(readonly=True, copy=False)

    # ------------------------------------------------------------------ computes
    @api.depends("case_id", "invoice_ids")
    def _compute_partner_company(self):
        for write_off in self:
            invoices = write_off.invoice_ids
            case = write_off.case_id
            write_off.partner_id = case.partner_id or invoices[:1].commercial_partner_id
            company = case.company_id or invoices[:1].company_id or write_off.company_id or self.env.company
            write_off.company_id = company
            write_off.currency_id = (
                invoices[:1].currency_id or case.currency_id or write_off.currency_id or company.currency_id
            )

    @api.depends("invoice_ids.amount_residual")
    def _compute_amount_residual(self):
        for write_off in self:
            write_off.amount_residual = sum(write_off.invoice_ids.mapped("amount_residual"))

    @api.depends("invoice_ids")
    def _compute_amount(self):
        for write_off in self:
            write_off.amount = sum(write_off.invoice_ids.mapped("amount_residual"))

    @api.depends("company_id")
    def _compute_mode(self):
        for write_off in self:
            write_off.mode = write_off.company_id.collection_write_off_mode or "entry"

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("case_id") and vals.get("invoice_ids"):
                invoices = self.env["account.move"].browse(self._command_ids(vals["invoice_ids"]))
                cases = invoices.collection_case_id.filtered(lambda c: c.state == "open")
                if len(cases) == 1:
                    vals["case_id"] = cases.id
        write_offs = super().create(vals_list)
        for write_off in write_offs.filtered(lambda w: w.name == "/"):
            write_off.name = (
                self.env["ir.sequence"].with_company(write_off.company_id).next_by_code("collection.write.off") or "/"
            )
        return write_offs

    @api.model
    def _command_ids(self, commands):
        """Record ids set by x2many commands (or a plain list of ids)."""
        ids = []
        for command in commands:
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == Command.SET:
                ids = list(command[2])
            elif command[0] == Command.LINK:
                ids.append(command[1])
        return ids

    def write(self, vals):
        frozen = set(vals) & {"case_id", "invoice_ids", "amount", "date", "mode"}
        if frozen:
            for write_off in self.filtered(lambda w: w.state != "draft"):
                raise UserError(
                    self.env._(
                        "Write-off %(name)s is posted: its invoices, amount, date and mode cannot change. "
                        "Reverse it and write off again.",
                        name=write_off.name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for write_off in self.filtered(lambda w: w.state != "draft"):
            raise UserError(
                self.env._(
                    "Write-off %(name)s is posted: reverse it instead of deleting it, the accounting keeps its trace.",
                    name=write_off.name,
                )
            )

    # ------------------------------------------------------------------ checks
    def _check_authority(self):
        """Above the company's limit only a Collections Manager may write off (or reverse).

        Superuser calls (automatic write-offs of accepted settlements, already approved within
        their own limits) are not checked.
        """
        if self.env.su or self.env.user.has_group("account_collections.group_collection_manager"):
            return
        for write_off in self:
            company = write_off.company_id
            amount = write_off.currency_id._convert(write_off.amount, company.currency_id, company, write_off.date)
            limit = company.collection_write_off_limit
            if float_compare(amount, limit, precision_rounding=company.currency_id.rounding) > 0:
                raise UserError(
                    self.env._(
                        "Write-off %(name)s of %(amount)s is above the %(limit)s a Collections User may write off "
                        "at %(company)s: ask a Collections Manager to post it.",
                        name=write_off.name,
                        amount=write_off.currency_id.format(write_off.amount),
                        limit=company.currency_id.format(limit),
                        company=company.name,
                    )
                )

    def _check_postable(self):
        """Everything that could stop a write-off, checked before anything is written."""
        today = fields.Date.context_today(self)
        if len(self.invoice_ids) < sum(len(write_off.invoice_ids) for write_off in self):
            raise UserError(
                self.env._("An invoice cannot be written off twice at once: post these write-offs one by one.")
            )
        for write_off in self:
            name = write_off.name
            company = write_off.company_id
            currency = write_off.currency_id
            invoices = write_off.invoice_ids
            if write_off.state != "draft":
                raise UserError(self.env._("Write-off %(name)s is already posted.", name=name))
            if not invoices:
                raise UserError(self.env._("Write-off %(name)s has no invoice: choose what to write off.", name=name))
            if not (write_off.reason or "").strip():
                raise UserError(self.env._("Write-off %(name)s needs a reason: say why the debt is lost.", name=name))
            if not company.collection_bad_debt_account_id:
                raise UserError(
                    self.env._(
                        "Set a bad-debt expense account for %(company)s in Accounting settings > Collections "
                        "before writing off.",
                        company=company.name,
                    )
                )
            if write_off.mode == "entry" and not write_off._journal():
                raise UserError(
                    self.env._(
                        "Set a write-off journal for %(company)s in Accounting settings > Collections "
                        "before writing off.",
                        company=company.name,
                    )
                )
            wrong = invoices.filtered(
                lambda m: m.move_type != "out_invoice"
                or m.state != "posted"
                or m.payment_state not in OPEN_PAYMENT_STATES
                or float_is_zero(m.amount_residual, precision_rounding=m.currency_id.rounding)
            )
            if wrong:
                raise UserError(
                    self.env._(
                        "Write-off %(name)s: only posted customer invoices with something left to pay can be "
                        "written off, not %(invoices)s.",
                        name=name,
                        invoices=", ".join(wrong.mapped("display_name")),
                    )
                )
            if (
                len(invoices.company_id) > 1
                or len(invoices.currency_id) > 1
                or len(invoices.commercial_partner_id) > 1
                or invoices.company_id != company
                or invoices.currency_id != currency
            ):
                raise UserError(
                    self.env._(
                        "Write-off %(name)s: the invoices must belong to one customer, company and currency; "
                        "write the others off separately.",
                        name=name,
                    )
                )
            case = write_off.case_id
            if case and (case.partner_id != invoices.commercial_partner_id or case.company_id != company):
                raise UserError(
                    self.env._(
                        "Write-off %(name)s: the invoices are not those of case %(case)s.",
                        name=name,
                        case=case.display_name,
                    )
                )
            residual = sum(invoices.mapped("amount_residual"))
            if float_compare(write_off.amount, 0.0, precision_rounding=currency.rounding) <= 0:
                raise UserError(self.env._("Write-off %(name)s: the amount to write off must be positive.", name=name))
            if float_compare(write_off.amount, residual, precision_rounding=currency.rounding) > 0:
                raise UserError(
                    self.env._(
                        "Write-off %(name)s: %(amount)s is more than the %(residual)s left to pay on the invoices.",
                        name=name,
                        amount=currency.format(write_off.amount),
                        residual=currency.format(residual),
                    )
                )
            if write_off.date > today:
                raise UserError(
                    self.env._("Write-off %(name)s: the accounting date cannot be in the future.", name=name)
                )
            write_off._check_lock_dates()
        self._check_authority()

    def _check_lock_dates(self):
        """Odoo's own lock dates (and its message): a write-off never lands in a locked period."""
        self.ensure_one()
        credit_note = self.mode == "credit_note"
        violations = self.company_id._get_lock_date_violations(
            self.date,
            fiscalyear=True,
            sale=credit_note,
            purchase=False,
            tax=credit_note and bool(self.invoice_ids.invoice_line_ids.tax_ids),
            hard=True,
        )
        if violations:
            raise UserError(
                self.env._(
                    "You cannot add/modify entries prior to and inclusive of: %(lock_date_info)s.",
                    lock_date_info=self.env["res.company"]._format_lock_dates(violations),
                )
            )

    def _journal(self):
        self.ensure_one()
        return self.company_id.collection_write_off_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company_id), ("type", "=", "general")], limit=1
        )

    # ------------------------------------------------------------------ posting
    def action_post(self):
        """Post the write-offs: validate all, book, reconcile, refresh the cases and log."""
        check_group(self.env, GROUP_USER, self.env._("post a write-off"))
        self._check_postable()
        Move = self.env["account.move"].with_context(collection_no_refresh=True)
        for write_off in self:
            allocation = write_off._allocate()
            if write_off.mode == "credit_note":
                moves, pairs = write_off._post_credit_notes(Move, allocation)
            else:
                moves, pairs = write_off._post_entry(Move, allocation)
            self.env["account.move.line"].with_context(collection_no_refresh=True)._reconcile_plan(pairs)
            write_off._write_workflow(
                {
                    "move_id": moves[:1].id,
                    "move_ids": [Command.set(moves.ids)],
                    "state": "posted",
                    "user_id": self.env.user.id,
                    "previous_stage_id": write_off.case_id.stage_id.id,
                }
            )
        self._refresh_cases()
        for write_off in self:
            write_off._after_post()
        return True

    def _allocate(self):
        """Amount written off per open receivable line, oldest due first.

        :return: list of (receivable line, amount in the invoice currency, amount in company currency)
        """
        self.ensure_one()
        currency = self.currency_id
        lines = self.invoice_ids.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        ).sorted(lambda line: (line.date_maturity or line.date, line.move_id.id, line.id))
        left = self.amount
        allocation = []
        for line in lines:
            if float_is_zero(left, precision_rounding=currency.rounding):
                break
            open_currency = line.amount_residual_currency
            if float_compare(open_currency, 0.0, precision_rounding=currency.rounding) <= 0:
                continue
            amount = currency.round(min(left, open_currency))
            if float_compare(amount, open_currency, precision_rounding=currency.rounding) == 0:
                balance = line.amount_residual  # all of it, at the carrying value: no exchange difference
            else:
                balance = line.company_currency_id.round(line.amount_residual * amount / open_currency)
            allocation.append((line, amount, balance))
            left = currency.round(left - amount)
        return allocation

    def _line_label(self, invoice):
        return self.env._("Bad debt write-off %(invoice)s", invoice=invoice.name)

    def _post_entry(self, Move, allocation):
        """One journal entry: bad-debt expense debited, each receivable line credited."""
        self.ensure_one()
        account = self.company_id.collection_bad_debt_account_id
        line_vals = []
        for line, amount, balance in allocation:
            common = {
                "name": self._line_label(line.move_id),
                "partner_id": line.partner_id.id,
                "currency_id": line.currency_id.id,
            }
            line_vals.append(
                Command.create(
                    {**common, "account_id": account.id, "amount_currency": amount, "debit": balance, "credit": 0.0}
                )
            )
            line_vals.append(
                Command.create(
                    {
                        **common,
                        "account_id": line.account_id.id,
                        "amount_currency": -amount,
                        "debit": 0.0,
                        "credit": balance,
                        "date_maturity": self.date,
                    }
                )
            )
        move = Move.create(
            {
                "move_type": "entry",
                "journal_id": self._journal().id,
                "date": self.date,
                "ref": f"{self.name} - {self.reason.splitlines()[0][:200]}",
                "partner_id": self.partner_id.id,
                "currency_id": self.currency_id.id,
                "company_id": self.company_id.id,
                "line_ids": line_vals,
            }
        )
        move.action_post()
        credits = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        pairs = [
            credit | line for credit, (line, _amount, _balance) in zip(credits.sorted("id"), allocation, strict=True)
        ]
        return move, pairs

    def _post_credit_notes(self, Move, allocation):
        """One customer credit note per invoice: bad-debt account, the invoice's taxes pro rata."""
        self.ensure_one()
        amount_by_invoice = defaultdict(float)
        for line, amount, _balance in allocation:
            amount_by_invoice[line.move_id] += amount
        vals_list = [self._credit_note_vals(invoice, amount) for invoice, amount in amount_by_invoice.items()]
        refunds = Move.create(vals_list)
        for refund, (invoice, amount) in zip(refunds, amount_by_invoice.items(), strict=True):
            self._round_credit_note(refund, invoice, amount)
        refunds.action_post()
        pairs = []
        for refund, invoice in zip(refunds, amount_by_invoice, strict=True):
            # Odoo may already have matched the credit note with the invoice it reverses
            credit = refund.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled
            )
            if credit:
                pairs.append(
                    credit
                    | invoice.line_ids.filtered(
                        lambda line: line.account_type == "asset_receivable" and not line.reconciled
                    )
                )
        return refunds, pairs

    def _credit_note_vals(self, invoice, amount):
        """Credit note of ``amount`` (taxes included) for ``invoice``, split like the invoice's lines."""
        account = self.company_id.collection_bad_debt_account_id
        ratio = amount / invoice.amount_total if invoice.amount_total else 0.0
        bases = defaultdict(float)
        for line in invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            taxes = line.tax_ids
            # price-included taxes: the credit note line carries them in its price too
            bases[taxes] += line.price_total if any(taxes.mapped("price_include")) else line.price_subtotal
        lines = [
            Command.create(
                {
                    "name": self._line_label(invoice),
                    "account_id": account.id,
                    "quantity": 1.0,
                    "price_unit": invoice.currency_id.round(base * ratio),
                    "tax_ids": [Command.set(taxes.ids)],
                }
            )
            for taxes, base in bases.items()
            if not invoice.currency_id.is_zero(base * ratio)
        ]
        return {
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "company_id": invoice.company_id.id,
            "invoice_date": self.date,
            "date": self.date,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "reversed_entry_id": invoice.id,
            "invoice_payment_term_id": False,
            "invoice_origin": invoice.name,
            "ref": f"{self.name} - {self.reason.splitlines()[0][:200]}",
            "invoice_line_ids": lines,
        }

    def _round_credit_note(self, refund, invoice, amount):
        """Pro rata lines and their taxes may miss the amount by a rounding cent: book it untaxed."""
        diff = invoice.currency_id.round(amount - refund.amount_total)
        if not invoice.currency_id.is_zero(diff):
            refund.write(
                {
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": self.env._("Rounding of %s", self._line_label(invoice)),
                                "account_id": self.company_id.collection_bad_debt_account_id.id,
                                "quantity": 1.0,
                                "price_unit": diff,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ]
                }
            )

    def _refresh_cases(self):
        invoices = self.invoice_ids
        if invoices:
            # a case closed by a write-off was not paid: no thank-you note
            Engine = self.env["collection.engine"]
            run = Engine._new_run(collection_today(self), invoices.company_id, thank=False)
            Engine._refresh(run, partner_ids=invoices.commercial_partner_id.ids)

    def _after_post(self):
        """Log the write-off on its case; a case left with nothing to collect is written off."""
        self.ensure_one()
        summary = self.env._(
            "Written off %(amount)s (%(reason)s): %(invoices)s",
            amount=self.currency_id.format(self.amount),
            reason=dict(self._fields["reason_code"]._description_selection(self.env))[self.reason_code],
            invoices=", ".join(self.invoice_ids.mapped("name")),
        )
        self.message_post(body=summary)
        case = self.case_id
        if not case:
            return
        self.env["collection.event"].sudo().create(
            case._event_vals(summary, note=self.reason, invoice_ids=[Command.set(self.invoice_ids.ids)])
        )
        if case.state == "closed":
            if self.reason_code == "settlement":
                # the customer paid what was agreed: the case ends paid (settled), not as a bad debt
                case._move_to_stage(
                    "paid",
                    reason=self.env._("Settled: the agreed amount was paid, the rest written off (%s)", self.name),
                )
            else:
                case._move_to_stage(
                    "written_off", reason=self.env._("Nothing left to collect after write-off %s", self.name)
                )

    # ------------------------------------------------------------------ reversal
    def action_reverse(self):
        """Reverse the write-off's accounting (Odoo reversal, reconciled with it): the invoices
        are open again and their case reopens where it was."""
        check_group(self.env, GROUP_USER, self.env._("reverse a write-off"))
        for write_off in self:
            if write_off.state != "posted":
                raise UserError(
                    self.env._("Write-off %(name)s is not posted: there is nothing to reverse.", name=write_off.name)
                )
        self._check_authority()
        today = fields.Date.context_today(self)
        for write_off in self:
            write_off._reopen_case()
            moves = write_off.move_ids.with_context(collection_no_refresh=True)
            reversals = moves._reverse_moves(
                [
                    {
                        "date": today,
                        "invoice_date": today if move.is_invoice() else False,
                        "ref": self.env._("Reversal of %(move)s (%(name)s)", move=move.name, name=write_off.name),
                    }
                    for move in moves
                ],
                cancel=True,
            )
            write_off._write_workflow(
                {"state": "reversed", "reversal_move_ids": [Command.set(reversals.ids)], "reversal_date": today}
            )
        self._refresh_cases()
        for write_off in self:
            summary = self.env._("Write-off %(name)s reversed: the invoices are open again", name=write_off.name)
            write_off.message_post(body=summary)
            case = write_off._open_case()
            if case:
                self.env["collection.event"].sudo().create(
                    case._event_vals(summary, invoice_ids=[Command.set(write_off.invoice_ids.ids)])
                )
        return True

    def _reopen_case(self):
        """Reopen the case the write-off closed, at its former stage, unless a newer case is open."""
        self.ensure_one()
        case = self.case_id
        if not case or case.state != "closed":
            return
        other = self.env["collection.case"].search_count(
            [
                ("state", "=", "open"),
                ("partner_id", "=", case.partner_id.id),
                ("company_id", "=", case.company_id.id),
                ("currency_id", "=", case.currency_id.id),
                ("invoice_policy_id", "=", case.invoice_policy_id.id),
            ]
        )
        if other:
            return
        stage = self.previous_stage_id
        if not stage or stage.code in ("paid", "written_off"):
            stage = self.env["collection.stage"]._get_by_code("reminded" if case.level_id else "new")
        # reopening mirrors the ledger, like the refresh that would otherwise open a new case
        case._write_workflow({"state": "open", "closed_date": False, "stage_id": stage.id})
        self.env["collection.event"].sudo().create(
            case._event_vals(self.env._("Case reopened: write-off %s reversed", self.name))
        )

    def _open_case(self):
        """The open case of the write-off's customer now (the reopened one, or a newer one)."""
        self.ensure_one()
        if self.case_id.state == "open":
            return self.case_id
        return self.invoice_ids.collection_case_id.filtered(lambda c: c.state == "open")[:1]

    # ------------------------------------------------------------------ views
    def action_view_moves(self):
        check_group(self.env, GROUP_USER, self.env._("view the entries of a write-off"))
        self.ensure_one()
        moves = self.move_ids | self.reversal_move_ids
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_journal_line")
        action.update(domain=[("id", "in", moves.ids)], context={"create": False})
        if len(moves) == 1:
            action.update(views=[(False, "form")], res_id=moves.id, view_mode="form")
        return action
