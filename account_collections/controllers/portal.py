import base64
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import Command, fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import format_amount

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.collection_stage import HANDED_OVER_STAGE_CODES
from ..tools.upload import read_upload

# record ids are PostgreSQL integers: anything else posted is not one of the user's records
MAX_ID = 2**31 - 1
# what a customer may write in a portal form, at most
MAX_NOTE_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 10000

OPEN_INVOICE_DOMAIN = [
    ("move_type", "=", "out_invoice"),
    ("state", "=", "posted"),
    ("amount_residual", ">", 0),
]


class CollectionsPortal(CustomerPortal):
    """The customer's collections page: what they owe, their plans, and their answers to dunning.

    Every record is read with sudo (portal users have no access to cases, plans, promises or
    disputes), but only after it was found through, or checked against, the commercial partner
    of the logged-in user: posted ids are never trusted.
    """

    # ------------------------------------------------------------------ helpers
    def _collection_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _collection_invoices(self, partner):
        # sudo: restricted to the user's own commercial partner by the domain
        return (
            request.env["account.move"]
            .sudo()
            .search([("commercial_partner_id", "=", partner.id), *OPEN_INVOICE_DOMAIN], order="invoice_date_due, id")
        )

    def _collection_invoice(self, invoice_id):
        """The open invoice ``invoice_id`` if it belongs to the user's commercial partner, else an empty recordset."""
        try:
            invoice_id = int(invoice_id)
        except (TypeError, ValueError):
            return request.env["account.move"]
        if not 0 < invoice_id <= MAX_ID:
            return request.env["account.move"]
        # sudo: the invoice is returned only after checking it is the user's own
        invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
        partner = self._collection_partner()
        if not invoice or invoice.commercial_partner_id != partner or not invoice.filtered_domain(OPEN_INVOICE_DOMAIN):
            return request.env["account.move"]
        return invoice

    def _collection_redirect(self, error=None, success=None, invoice=None):
        params = {}
        if error:
            params["error"] = error
        if success:
            params["success"] = success
        query = f"?{urlencode(params)}" if params else ""
        anchor = f"#invoice-{invoice.id}" if invoice else ""
        return request.redirect(f"/my/collections{query}{anchor}")

    def _collection_case_of(self, invoice):
        case = invoice.collection_case_id.filtered(lambda c: c.state == "open")
        if not case:
            raise UserError(
                request.env._(
                    "Invoice %(invoice)s is not followed up by our collections team yet: "
                    "please contact us to agree on a payment date or to report a problem.",
                    invoice=invoice.name,
                )
            )
        if case.stage_code in HANDED_OVER_STAGE_CODES:
            raise UserError(self._collection_handed_over_notice(case, invoice))
        return case

    def _collection_handed_over_notice(self, case, invoice):
        """What the customer reads about an invoice an agency or a lawyer handles for us."""
        handler = case._handled_by()
        if not handler:
            return request.env._(
                "Invoice %(invoice)s is handled by our collection agency or legal counsel: please contact us about it.",
                invoice=invoice.name,
            )
        contact = " - ".join(filter(None, [handler.email, handler.phone or handler.mobile]))
        return request.env._(
            "Invoice %(invoice)s is handled for us by %(handler)s: please contact them about it%(contact)s.",
            invoice=invoice.name,
            handler=handler.display_name,
            contact=f" ({contact})" if contact else "",
        )

    def _collection_text(self, value, label, max_length, invoice):
        """A free text of a portal form, stripped; a UserError when longer than ``max_length``."""
        value = (value or "").strip() if isinstance(value, str) else ""
        if len(value) > max_length:
            raise UserError(
                request.env._(
                    "Your %(label)s about invoice %(invoice)s is too long (%(length)s characters): "
                    "keep it under %(max)s characters.",
                    label=label,
                    invoice=invoice.name,
                    length=len(value),
                    max=max_length,
                )
            )
        return value

    def _collection_collector(self, case, invoice):
        """Who follows up the customer's request: the case's collector, else the customer's, else the
        salesperson of the invoice, else the administrator (never the portal user)."""
        return (
            case.user_id
            or case.partner_id.collection_user_id
            or invoice.invoice_user_id
            # sudo: the portal user may not read users; the administrator is only the fallback follower
            or request.env.ref("base.user_admin").sudo()
        )

    def _collection_notify(self, case, invoice, summary, body, activity=True):
        """Log the portal request on the case: a message from the customer and a to-do for the collector."""
        collector = self._collection_collector(case, invoice)
        case.message_post(
            body=body,
            author_id=request.env.user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            partner_ids=collector.partner_id.ids,
        )
        if activity:
            todo = request.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
            case.activity_schedule(
                activity_type_id=todo.id if todo else False,
                summary=summary,
                date_deadline=fields.Date.context_today(case),
                user_id=collector.id,
            )

    # ------------------------------------------------------------------ home counter
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "collection_count" in counters:
            values["collection_count"] = len(self._collection_invoices(self._collection_partner()))
        return values

    # ------------------------------------------------------------------ pages
    @http.route("/my/collections", type="http", auth="user", website=True)
    def portal_my_collections(self, error=None, success=None, **kw):
        partner = self._collection_partner()
        invoices = self._collection_invoices(partner)
        today = fields.Date.context_today(invoices)
        groups = defaultdict(lambda: {"invoices": invoices.browse(), "due": 0.0, "overdue": 0.0})
        overdue_count = 0
        for invoice in invoices:
            group = groups[invoice.currency_id]
            group["invoices"] |= invoice
            group["due"] += invoice.amount_residual
            if invoice.invoice_date_due and invoice.invoice_date_due < today:
                group["overdue"] += invoice.amount_residual
                overdue_count += 1
        # sudo: plans of the user's own commercial partner only
        plans = (
            request.env["collection.payment.plan"]
            .sudo()
            .search([("partner_id", "=", partner.id), ("state", "=", "active")])
        )
        companies = invoices.company_id or request.env.user.company_id
        cases = invoices.collection_case_id.filtered(lambda c: c.state == "open")
        handed_over = {
            invoice.id: self._collection_handed_over_notice(invoice.collection_case_id, invoice)
            for invoice in invoices
            if invoice.collection_case_id in cases and invoice.collection_case_id.stage_code in HANDED_OVER_STAGE_CODES
        }
        over_limit = request.env["collection.promise"].sudo()._cases_over_broken_limit(cases)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "collections",
                "partner": partner,
                "currency_groups": [dict(groups[currency], currency=currency) for currency in groups],
                "plans": plans,
                "today": today,
                # the link to Odoo's page paying them all (account_payment's /my/invoices/overdue)
                "overdue_invoice_count": overdue_count,
                "promise_max_days": {c.id: c.collection_promise_max_days for c in companies},
                "handed_over": handed_over,
                "promise_closed": set(invoices.filtered(lambda m: m.collection_case_id in over_limit).ids),
                "dispute_reasons": request.env["collection.dispute"]
                ._fields["reason"]
                ._description_selection(request.env),
                "error": error,
                "success": success,
            }
        )
        return request.render("account_collections.portal_my_collections", values)

    @http.route("/my/collections/statement", type="http", auth="user", website=True)
    def portal_my_collections_statement(self, **kw):
        partner = self._collection_partner()
        companies = self._collection_invoices(partner).company_id | request.env.user.company_ids
        # sudo: the statement is rendered for the user's own commercial partner only
        report = (
            request.env["ir.actions.report"]
            .sudo()
            .with_context(allowed_company_ids=companies.ids, lang=partner.lang or request.env.lang)
        )
        content, content_type = report._render_qweb_pdf(
            "account_collections.action_report_customer_statement", partner.ids
        )
        mimetype = "application/pdf" if content_type == "pdf" else "text/html"
        filename = request.env._("Statement - %(partner)s", partner=partner.name)
        headers = [
            ("Content-Type", mimetype),
            ("Content-Length", len(content)),
            ("Content-Disposition", http.content_disposition(f"{filename}.{content_type}")),
        ]
        return request.make_response(content, headers=headers)

    # ------------------------------------------------------------------ actions
    @http.route("/my/collections/promise", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_collections_promise(self, invoice_id=None, date=None, note=None, **kw):
        invoice = self._collection_invoice(invoice_id)
        if not invoice:
            return self._collection_redirect(error=request.env._("This invoice is not one of your open invoices."))
        try:
            promised_date = fields.Date.to_date(date) if isinstance(date, str) else False
        except (TypeError, ValueError):
            promised_date = False
        today = fields.Date.context_today(invoice)
        max_days = invoice.company_id.collection_promise_max_days
        if not promised_date or promised_date <= today:
            return self._collection_redirect(
                error=request.env._("Pick a payment date after today for invoice %(invoice)s.", invoice=invoice.name),
                invoice=invoice,
            )
        if promised_date > today + timedelta(days=max_days):
            return self._collection_redirect(
                error=request.env._(
                    "We can accept a payment date at most %(days)s days from today for invoice %(invoice)s: "
                    "pick an earlier date or contact us to set up a payment plan.",
                    days=max_days,
                    invoice=invoice.name,
                ),
                invoice=invoice,
            )
        try:
            note = self._collection_text(note, request.env._("note"), MAX_NOTE_LENGTH, invoice)
            with request.env.cr.savepoint():
                case = self._collection_case_of(invoice)
                # sudo: the invoice was checked to be the user's own; the case is the invoice's
                promise = (
                    request.env["collection.promise"]
                    .sudo()
                    .with_context(collection_channel="portal")
                    .create(
                        {
                            "case_id": case.id,
                            "invoice_ids": [Command.set(invoice.ids)],
                            "amount": invoice.amount_residual,
                            "promised_date": promised_date,
                            "note": note or False,
                            "user_id": self._collection_collector(case, invoice).id,
                        }
                    )
                )
                promise.action_confirm()
                amount = format_amount(request.env, promise.amount, promise.currency_id)
                summary = request.env._(
                    "Customer promised on the portal to pay %(amount)s on %(invoice)s by %(date)s",
                    amount=amount,
                    invoice=invoice.name,
                    date=promised_date,
                )
                request.env["collection.event"].sudo().create(
                    case._event_vals(
                        summary,
                        channel="portal",
                        direction="inbound",
                        invoice_ids=[Command.set(invoice.ids)],
                        note=note or False,
                    )
                )
                body = Markup("<p>%s</p>") % summary
                if note:
                    body += Markup("<p>%s</p>") % note
                self._collection_notify(case, invoice, summary, body)
        except (UserError, ValidationError) as error:
            return self._collection_redirect(error=str(error), invoice=invoice)
        return self._collection_redirect(
            success=request.env._(
                "Thank you: we noted your promise to pay %(invoice)s by %(date)s.",
                invoice=invoice.name,
                date=promised_date,
            ),
            invoice=invoice,
        )

    @http.route("/my/collections/dispute", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_collections_dispute(self, invoice_id=None, reason=None, description=None, attachment=None, **kw):
        invoice = self._collection_invoice(invoice_id)
        if not invoice:
            return self._collection_redirect(error=request.env._("This invoice is not one of your open invoices."))
        Dispute = request.env["collection.dispute"]
        reasons = dict(Dispute._fields["reason"]._description_selection(request.env))
        try:
            description = self._collection_text(
                description, request.env._("description"), MAX_DESCRIPTION_LENGTH, invoice
            )
        except UserError as error:
            return self._collection_redirect(error=str(error), invoice=invoice)
        if reason not in reasons:
            return self._collection_redirect(
                error=request.env._("Choose the reason of your dispute on %(invoice)s.", invoice=invoice.name),
                invoice=invoice,
            )
        if not description:
            return self._collection_redirect(
                error=request.env._("Tell us what is wrong with invoice %(invoice)s.", invoice=invoice.name),
                invoice=invoice,
            )
        upload = attachment if attachment and getattr(attachment, "filename", None) else None
        content = None
        if upload:
            try:
                # the size is checked before the file is read whole, encoded or stored
                content = read_upload(request.env, upload)
            except UserError as error:
                return self._collection_redirect(error=str(error), invoice=invoice)
        try:
            with request.env.cr.savepoint():
                case = self._collection_case_of(invoice)
                # sudo: the invoice was checked to be the user's own; the case is the invoice's
                dispute = (
                    Dispute.sudo()
                    .with_context(collection_channel="portal")
                    .create(
                        {
                            "case_id": case.id,
                            "invoice_id": invoice.id,
                            "reason": reason,
                            "description": description,
                            "user_id": self._collection_collector(case, invoice).id,
                        }
                    )
                )
                attachments = request.env["ir.attachment"]
                if upload:
                    attachments = (
                        request.env["ir.attachment"]
                        .sudo()
                        .create(
                            {
                                "name": upload.filename,
                                "datas": base64.b64encode(content),
                                "mimetype": upload.content_type or False,
                                "res_model": "collection.dispute",
                                "res_id": dispute.id,
                            }
                        )
                    )
                dispute.action_open()
                summary = request.env._(
                    "Customer disputes %(invoice)s on the portal (%(reason)s)",
                    invoice=invoice.name,
                    reason=reasons[reason],
                )
                dispute.message_post(
                    body=Markup("<p>%s</p>") % description,
                    author_id=request.env.user.partner_id.id,
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                    attachment_ids=attachments.ids,
                )
                # opening the dispute already gave the collector a to-do on it
                self._collection_notify(
                    case, invoice, summary, Markup("<p>%s</p><p>%s</p>") % (summary, description), activity=False
                )
        except (UserError, ValidationError) as error:
            return self._collection_redirect(error=str(error), invoice=invoice)
        return self._collection_redirect(
            success=request.env._(
                "Thank you: we put invoice %(invoice)s on hold and will come back to you about it.",
                invoice=invoice.name,
            ),
            invoice=invoice,
        )
