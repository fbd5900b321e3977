import logging
from collections import defaultdict

from odoo import api, fields, models, modules
from odoo.tools import SQL

from ..tools import GROUP_MANAGER, check_group
from .bulk_sql import bulk_update
from .collection_case import STOPPED_STAGE_CODES

_logger = logging.getLogger(__name__)


class CollectionEvent(models.Model):
    """Queued reminder emails, rendered after the run and handed to Odoo's mail queue.

    The engine's run decides who is contacted and logs each reminder email as a queued event;
    rendering thousands of emails is the slow part, so it happens here, batch by batch, in its
    own cron job that the run triggers. A case paid in between gets no reminder.
    """

    _inherit = "collection.event"

    @api.model
    def dispatch_emails(self):
        """Render the queued reminder emails now and put them in Odoo's mail queue.

        :return: ``{"queued": n, "failed": n, "skipped": n}``
        """
        check_group(self.env, GROUP_MANAGER, self.env._("dispatch the queued reminder emails"))
        # sudo: rendering and queueing the reminders is the system's work, as in the engine's run
        return self.sudo()._dispatch_emails()

    @api.model
    def _cron_dispatch_emails(self):
        self.sudo()._dispatch_emails(commit=True)

    @api.model
    def _trigger_dispatch(self):
        cron = self.env.ref("account_collections.ir_cron_dispatch_collection_emails", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _dispatch_emails(self, case_ids=None, commit=False):
        """Render queued reminder emails batch by batch (``account_collections.batch_size``);
        each batch under ``FOR UPDATE SKIP LOCKED``, committed on its own in the cron.

        Each reminder passes the contact guards again before it goes out (see ``_dispatch_block``);
        one outside the contact window stays queued for a later dispatch."""
        batch_size = self.env["collection.engine"]._batch_size()
        commit = commit and not modules.module.current_test
        counts = {"queued": 0, "failed": 0, "skipped": 0}
        restrict = SQL("AND e.case_id = ANY(%s)", list(case_ids)) if case_ids is not None else SQL()
        last_id = 0  # the events left queued (outside the window) are not read again by this dispatch
        while True:
            self.env.flush_all()
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT e.id FROM collection_event e
                     WHERE e.channel = 'email' AND e.state = 'queued' AND e.direction = 'outbound'
                       AND e.mail_mail_id IS NULL AND e.level_id IS NOT NULL AND e.id > %s %s
                     ORDER BY e.id LIMIT %s FOR UPDATE SKIP LOCKED
                    """,
                    last_id,
                    restrict,
                    batch_size,
                )
            )
            if not rows:
                break
            last_id = rows[-1][0]
            with self.env.cr.savepoint():
                self.browse([row[0] for row in rows])._render_queued_emails(counts)
            self.env["collection.engine"]._release_batch_cache()
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron batch boundary
        if any(counts.values()):
            _logger.info("Collections reminder emails dispatched: %s", counts)
        return counts

    def _render_queued_emails(self, counts):
        """Render these queued events' emails, one batch per level, and record the outcome.

        An event whose guards no longer hold is skipped; an email the template fails on is failed
        with the error (the engine tries the level's reminder again at its next run), the others go out."""
        outcomes = []  # (event id, state, mail id, message id, reason, reason code)
        deferred = self.env["collection.engine"]._contact_guards(
            self.case_id, fields.Datetime.now(), self.env["collection.case"]._collection_today()
        )
        outside_window = {case for case, (_reason, _retry, code) in deferred.items() if code == "window"}
        by_level = defaultdict(lambda: self.browse())
        for event in self:
            blocked = event._dispatch_block()
            if blocked:
                counts["skipped"] += 1
                outcomes.append((event.id, "skipped", None, None, blocked[1], blocked[0]))
            elif event.case_id not in outside_window:
                by_level[event.level_id] |= event
        for level, events in by_level.items():
            cases = events.case_id
            mails, errors = {}, {}
            template = level.mail_template_id
            if template:
                self.env["collection.engine"]._ensure_invoice_access_tokens(cases)

                def render(group, template=template, level=level):
                    group_mails = template._collection_create_mails(group)
                    if level.attach_invoices:
                        self.env["collection.engine"]._attach_invoice_pdfs(group, group_mails)
                    return group_mails

                mails, errors = template._collection_render_isolated(cases, render)
            for event in events:
                mail = mails.get(event.case_id.id)
                if mail:
                    counts["queued"] += 1
                    outcomes.append((event.id, "queued", mail.id, mail.mail_message_id.id, None, None))
                elif template:
                    counts["failed"] += 1
                    reason = errors.get(event.case_id.id) or self.env._("The email could not be rendered")
                    outcomes.append((event.id, "failed", None, None, reason, "render"))
                else:
                    counts["failed"] += 1
                    reason = self.env._("Level %(level)s has no email template", level=level.name)
                    outcomes.append((event.id, "failed", None, None, reason, "config"))
        self._write_outcomes(outcomes)

    def _dispatch_block(self):
        """Why this queued reminder may not go out now, whoever queued it: (reason code, text), or False.

        The run checked the same when it queued the reminder; the case or its customer may have
        changed since (paid, handed over to an agency, marked do not contact, opted out)."""
        self.ensure_one()
        case = self.case_id
        if case.state != "open":
            return "closed", self.env._("The case was closed before the email was sent")
        if case.stage_id.code in STOPPED_STAGE_CODES:
            return "stage", self.env._(
                "The case moved to %(stage)s before the email was sent: internal dunning stopped",
                stage=case.stage_id.name,
            )
        if (self.partner_id, self.company_id, self.level_id.company_id) != (
            case.partner_id,
            case.company_id,
            case.company_id,
        ):
            return "config", self.env._("The reminder's customer, company or level is not its case's: not sent")
        return case._channel_block_reason("email")

    def _write_outcomes(self, outcomes):
        """Record the outcome of many queued events in one UPDATE (the log's one allowed change)."""
        names = ("state", "mail_mail_id", "mail_message_id", "reason", "reason_code")
        bulk_update(self, {outcome[0]: dict(zip(names, outcome[1:], strict=True)) for outcome in outcomes})
