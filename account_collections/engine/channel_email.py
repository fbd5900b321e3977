import uuid
from datetime import datetime, time

from odoo import Command

from ..models.bulk_sql import bulk_update


class EmailChannel:
    """Channel: the level's reminder email.

    The run only decides who is emailed and logs each reminder as a queued event;
    ``collection.event._dispatch_emails`` renders the queued reminders and hands them to Odoo's
    mail queue, batch by batch, right after the run (cron *Collections: render queued
    reminders*, triggered by the run), with the two helpers below.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_email(self, run, level, cases):
        """Queue the level's reminder email of each case reachable by email, as a log event.

        A customer's cases grouped in one reminder (``run.reminder_leads``) are queued with their
        lead, at its level: one event each, sent as one email by the dispatch."""
        if not level.send_email:
            return []
        leads, level_case_ids = run.reminder_leads, set(cases.ids)
        queued = cases.browse(
            [case.id for case in cases if leads.get(case.id, case.id) == case.id]
            + [case_id for case_id, lead_id in leads.items() if lead_id in level_case_ids and case_id != lead_id]
        ).with_prefetch(cases._prefetch_ids)
        events = []
        if run.force:
            # a collector's click on a case its customer's reminder covered today at this level
            reminded = self._reminded_today(run, level, queued)
            run.counts["skipped"] += len(reminded)
            events += [
                self._event_vals(
                    run,
                    case,
                    self.env._("%(level)s: email not sent", level=level.name),
                    channel="email",
                    state="skipped",
                    reason=self.env._("Already reminded at this level today"),
                    reason_code="reminded",
                    level_id=level.id,
                )
                for case in reminded
            ]
            queued -= reminded
        return events + self._queue_contacts(
            run, "email", level, queued, self.env._("%(level)s: email", level=level.name)
        )

    def _reminded_today(self, run, level, cases):
        """The ``cases`` whose reminder email at ``level`` was queued or sent on the run's day."""
        events = self.env["collection.event"].search(
            [
                ("case_id", "in", cases.ids),
                ("channel", "=", "email"),
                ("level_id", "=", level.id),
                ("state", "in", ("queued", "sent")),
                ("date", ">=", datetime.combine(run.today, time.min)),
            ]
        )
        return events.case_id

    def _ensure_invoice_access_tokens(self, cases):
        """Give the cases' posted invoices their portal token before the reminders link to them
        (the portal would otherwise write them one invoice at a time while rendering)."""
        # Measured on the dispatch of 6,152 reminders (20,000 invoices, 2026-12-01, load 1.6-4.6):
        # 318 s with ``_portal_ensure_token`` (one account.move write per invoice), 39 s with one
        # UPDATE: the write layer writes them, the tokens made as the portal makes them
        Move = self.env["account.move"]
        invoices = Move.search(
            [("collection_case_id", "in", cases.ids), ("state", "=", "posted"), ("access_token", "=", False)]
        )
        self.env.flush_all()
        bulk_update(Move, {invoice_id: {"access_token": str(uuid.uuid4())} for invoice_id in invoices.ids})

    def _attach_invoice_pdfs(self, cases, mail_by_case, listed=None):
        """Attach each dunned invoice's PDF to its reminder (the stored one when Odoo has it).

        :param listed: {case id: ids of the cases its reminder is about}, when one reminder is
            about several cases of the customer (see ``collection.event._reminder_groups``)
        """
        listed = listed or {}
        for case_id, mail in mail_by_case.items():
            attachments = self.env["ir.attachment"]
            invoices = self.env["account.move"].union(
                *(case._dunned_invoices() for case in cases.browse(listed.get(case_id) or [case_id]))
            )
            for invoice in invoices.filtered(lambda m: m.move_type == "out_invoice"):
                attachment = invoice.invoice_pdf_report_id
                if not attachment:
                    # one invoice per rendering, as Odoo's invoice sending does
                    pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(
                        "account.account_invoices", res_ids=invoice.ids
                    )
                    attachment = self.env["ir.attachment"].create(
                        {
                            "name": f"{invoice._get_invoice_report_filename()}",
                            "raw": pdf,
                            "mimetype": "application/pdf",
                            "res_model": "account.move",
                            "res_id": invoice.id,
                        }
                    )
                attachments |= attachment
            if attachments:
                mail.attachment_ids = [Command.link(att.id) for att in attachments]
