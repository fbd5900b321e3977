from odoo import Command
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, formatLang


class FeesChannel:
    """Channel: the level's late fee and statutory interest, on a charge invoice per case."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_fees(self, run, level, cases):
        """Invoice the level's late fee and statutory interest, one charge invoice per case.

        Interest is simple and daily on each overdue invoice's open amount, from its due date
        (or the end of the last period charged) to the run date, so no period is ever charged twice;
        each half-year of the period at its own reference rate (``collection.reference.rate``).
        """
        if not (level.fee_amount or level.interest):
            return []
        today = run.today
        events, vals_list, charged = [], [], []
        for case in cases:
            company = case.company_id
            lines, interest_invoices = [], self.env["account.move"]
            missing = (level.fee_amount and not company.collection_fee_product_id) or (
                level.interest and not company.collection_interest_product_id
            )
            if missing:
                events.append(
                    self._event_vals(
                        run,
                        case,
                        self.env._("%(level)s: fees not charged", level=level.name),
                        state="failed",
                        reason=self.env._("Set the late fee and interest products in the collections settings"),
                        reason_code="config",
                        level_id=level.id,
                    )
                )
                continue
            if level.fee_amount:
                amount = company.currency_id._convert(level.fee_amount, case.currency_id, company, today)
                lines.append(
                    Command.create(
                        {
                            "product_id": company.collection_fee_product_id.id,
                            "name": self.env._("Late payment fee (%(level)s)", level=level.name),
                            "quantity": 1,
                            "price_unit": amount,
                        }
                    )
                )
            if level.interest:
                try:
                    interest_lines = self._statutory_interest_lines(case, today)
                except UserError as error:  # a half-year without a reference rate: nothing charged
                    events.append(
                        self._event_vals(
                            run,
                            case,
                            self.env._("%(level)s: fees not charged", level=level.name),
                            state="failed",
                            reason=error.args[0],
                            reason_code="config",
                            level_id=level.id,
                        )
                    )
                    continue
                for invoice, name, amount in interest_lines:
                    interest_invoices |= invoice
                    lines.append(
                        Command.create(
                            {
                                "product_id": company.collection_interest_product_id.id,
                                "name": name,
                                "quantity": 1,
                                "price_unit": amount,
                            }
                        )
                    )
            if not lines:
                continue
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": case.partner_id.id,
                    "company_id": company.id,
                    "currency_id": case.currency_id.id,
                    "invoice_date": today,
                    "invoice_date_due": today,
                    "invoice_origin": case.name,
                    "collection_case_id": case.id,
                    "collection_is_charge": True,
                    "invoice_line_ids": lines,
                }
            )
            charged.append((case, interest_invoices))
        if vals_list:
            # the charge belongs to the case already: posting it refreshes no case (account.move's hooks)
            Move = self.env["account.move"].with_context(collection_no_refresh=True)
            moves = Move.create(vals_list)
            moves.action_post()
            for (case, interest_invoices), move in zip(charged, moves, strict=True):
                interest_invoices.write({"collection_interest_date": today, "collection_compensation_charged": True})
                events.append(
                    self._event_vals(
                        run,
                        case,
                        self.env._("%(level)s: %(invoice)s charged", level=level.name, invoice=move.name),
                        level_id=level.id,
                        invoice_ids=[Command.set(move.ids)],
                    )
                )
        return events

    def _statutory_interest_lines(self, case, today):
        """(invoice, label, amount) of interest and fixed compensation due on the case's overdue invoices.

        The interest of an invoice is one line per rate period: the period charged is cut where the
        reference rate changes (at most at each half-year), each piece at its reference rate plus the
        company's margin, rounded to the cent, so the lines add up to the total invoiced. Raises a
        UserError when a half-year has no reference rate (see ``collection.reference.rate._segments``).
        None for a consumer, unless the company charges consumers too (the statutory regimes are
        business-to-business).
        """
        company = case.company_id
        if not company.collection_consumer_interest and self._consumer_cases(case):
            return []
        currency = case.currency_id
        margin = company.collection_interest_margin
        Rates = self.env["collection.reference.rate"]
        lines = []
        for invoice in case._dunned_invoices():
            if invoice.move_type != "out_invoice" or invoice.collection_is_charge or invoice.invoice_date_due >= today:
                continue
            start = max(invoice.invoice_date_due, invoice.collection_interest_date or invoice.invoice_date_due)
            principal = currency.round(invoice.amount_residual)
            for segment_start, segment_end, reference in Rates._segments(company, start, today):
                days = (segment_end - segment_start).days
                rate = reference + margin
                interest = currency.round(invoice.amount_residual * rate / 100.0 * days / 365.0)
                if interest <= 0:
                    continue
                label = self.env._(
                    "Interest on %(invoice)s from %(start)s to %(end)s (%(days)s days): %(amount)s at "
                    "%(rate)s%% (reference rate %(reference)s%% + %(margin)s points)",
                    invoice=invoice.name,
                    start=format_date(self.env, segment_start),
                    end=format_date(self.env, segment_end),
                    days=days,
                    amount=format_amount(self.env, principal, currency),
                    rate=formatLang(self.env, rate, digits=2),
                    reference=formatLang(self.env, reference, digits=2),
                    margin=formatLang(self.env, margin, digits=2),
                )
                lines.append((invoice, label, interest))
            if not invoice.collection_compensation_charged:
                compensation = self._fixed_compensation(case, invoice, today)
                if compensation:
                    label = self.env._("Fixed recovery compensation for %(invoice)s", invoice=invoice.name)
                    lines.append((invoice, label, compensation))
        return lines

    def _fixed_compensation(self, case, invoice, today):
        """EU: 40 EUR per invoice. UK: 40, 70 or 100 GBP for debts under 1,000, under 10,000, or more."""
        company = case.company_id
        if company.collection_interest_regime == "uk":
            currency = self.env.ref("base.GBP")
            debt = invoice.currency_id._convert(invoice.amount_residual, currency, company, today)
            amount = 40.0 if debt < 1000 else 70.0 if debt < 10000 else 100.0
        elif company.collection_interest_regime == "eu":
            currency, amount = self.env.ref("base.EUR"), 40.0
        else:
            return 0.0
        return currency._convert(amount, case.currency_id, company, today)
