import logging
from collections import defaultdict

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.pdf import merge_pdf
from odoo.tools.sql import create_index, drop_index, make_index_name

from ..tools import GROUP_MANAGER, GROUP_USER, check_group
from .bulk_sql import bulk_insert, bulk_link, bulk_update
from .collection_stage import STOPPED_STAGE_CODES

_logger = logging.getLogger(__name__)

CHANNELS = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("sms", "SMS"),
    ("call", "Call"),
    ("portal", "Portal"),
    ("agency", "Agency"),
    ("system", "System"),
]
EVENT_STATES = [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped")]
SKIP_REASONS = [
    ("window", "Outside the contact window"),
    ("non_working_day", "Not a working day"),
    ("call_limit", "Call limit"),
    ("cap", "Weekly contact cap"),
    ("opt_out", "Channel opt-out"),
    ("do_not_contact", "Do not contact"),
    ("no_address", "No address"),
    ("paused", "Paused"),
    ("disputed", "Disputed"),
    ("promised", "Promise to pay"),
    ("plan", "Payment plan"),
    ("blocked", "Excluded from dunning"),
    ("time_barred", "Time-barred"),
    ("jumped", "Level jumped"),
    ("config", "Configuration missing"),
    ("closed", "Case closed before sending"),
    ("stage", "Dunning stopped at the case's stage"),
    ("render", "Could not be rendered"),
    ("settlement", "Settlement offer"),
    ("bounced", "Email bounced"),
    ("reminded", "Already reminded today"),
]
EVENT_KINDS = [("statement", "Statement"), ("link_click", "Link Opened")]
CALL_OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No Answer"),
    ("promise", "Promise to Pay"),
    ("refused", "Refused to Pay"),
    ("wrong_number", "Wrong Number"),
]


class CollectionEvent(models.Model):
    """Append-only audit log of every contact attempt and every change of a case.

    Only the suite writes it (users read it: their calls go through ``action_log_call``, their
    notes through the chatter). Nobody edits or deletes an event. The only change allowed is the
    system moving a queued contact to its outcome (sent, failed or skipped) once the channel
    reports it, and a sent email to failed when it bounces.

    Sections: the log's fields and indexes; the letters queue (printing queued letters); the log
    itself (set-based append, the append-only guards); the email dispatch (queued reminder
    emails, rendered after the run and handed to Odoo's mail queue).
    """

    _name = "collection.event"
    _description = "Collection Event"
    _order = "date desc, id desc"
    _rec_name = "name"

    # fields the system may still fill in while a queued event gets its outcome
    _OUTCOME_FIELDS = frozenset(
        {"state", "reason", "reason_code", "mail_message_id", "mail_mail_id", "attachment_id", "email_to", "email_cc"}
    )

    case_id = fields.Many2one("collection.case", required=True, ondelete="restrict", index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one("res.currency")
    name = fields.Char(string="Summary", required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel = fields.Selection(CHANNELS, required=True, default="system")
    direction = fields.Selection([("outbound", "Outbound"), ("inbound", "Inbound")], default="outbound", required=True)
    state = fields.Selection(EVENT_STATES, required=True, default="sent")
    reason = fields.Char(help="Why a contact was skipped or failed.")
    reason_code = fields.Selection(SKIP_REASONS, string="Reason Type")
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user)
    level_id = fields.Many2one("collection.level", ondelete="set null", index=True)
    invoice_ids = fields.Many2many("account.move", string="Invoices")
    amount_due = fields.Monetary(currency_field="currency_id", help="What the customer owed at that moment.")
    outcome = fields.Selection(CALL_OUTCOMES)
    note = fields.Text()
    mail_message_id = fields.Many2one("mail.message", string="Message", ondelete="set null")
    mail_mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")
    attachment_id = fields.Many2one("ir.attachment", string="Document", ondelete="set null")
    kind = fields.Selection(
        EVENT_KINDS, help="What the event is when it is neither a reminder of a level nor a change of the case."
    )
    link_event_id = fields.Many2one(
        "collection.event",
        string="Opened From",
        ondelete="restrict",
        index="btree_not_null",
        help="The reminder or statement whose link the customer opened.",
    )
    link_tracker_id = fields.Many2one("link.tracker", string="Link", ondelete="set null")
    link_click_count = fields.Integer(
        string="Links Opened", compute="_compute_link_click_count", help="How often the customer opened its links."
    )

    def _compute_link_click_count(self):
        counts = dict(
            self._read_group(
                [("link_event_id", "in", self.ids), ("kind", "=", "link_click")], ["link_event_id"], ["__count"]
            )
        )
        for event in self:
            event.link_click_count = counts.get(event, 0)

    email_to = fields.Char(string="To", help="The addresses the email was sent to (when queued: will be sent to).")
    email_cc = fields.Char(string="Cc", help="The addresses the email copied.")

    def init(self):
        # The log grows by several events per case and run: no index on its low-cardinality
        # columns (they cost every insert and no query selects on them alone), one small
        # partial index on the queued events, which the letter queue and the email dispatch read,
        # and one on the reminders that failed to render, which the engine tries again.
        for column in ("channel", "state", "reason_code"):
            drop_index(self.env.cr, make_index_name(self._table, column), self._table)
        create_index(self.env.cr, "collection_event_queued_index", self._table, ["channel"], where="state = 'queued'")
        create_index(
            self.env.cr,
            "collection_event_render_failed_index",
            self._table,
            ["case_id"],
            where="state = 'failed' AND reason_code = 'render'",
        )

    # ------------------------------------------------------------------ letters queue
    def action_print_letters(self):
        """Print the selected queued letters: one PDF per case, attached to the case and to
        the event, the events marked sent; returns all of them as one PDF to download."""
        check_group(self.env, GROUP_USER, self.env._("print reminder letters"))
        letters = self.filtered(lambda e: e.channel == "letter" and e.state == "queued")
        if not letters:
            raise UserError(
                self.env._("Select letters waiting to be printed (channel Letter, state Queued) to print them.")
            )
        report = self.env.ref("account_collections.action_report_collection_letter")
        Attachment = self.env["ir.attachment"]
        pdfs, outcome = [], {}
        for case in letters.case_id:
            # one case per rendering: one letter per PDF, in the customer's language
            pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, res_ids=case.ids)
            pdfs.append(pdf)
            outcome[case] = Attachment.create(
                {
                    "name": self.env._("Reminder %(case)s %(date)s.pdf", case=case.name, date=fields.Date.today()),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": "collection.case",
                    "res_id": case.id,
                }
            )
        for event in letters:
            # sudo: recording the outcome of a queued contact is the one change the log allows
            event.sudo().write({"state": "sent", "attachment_id": outcome[event.case_id].id})
        bundle = Attachment.create(
            {
                "name": self.env._("Reminder letters %s.pdf", fields.Date.today()),
                "raw": merge_pdf(pdfs),
                "mimetype": "application/pdf",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{bundle.id}?download=true", "target": "self"}

    # ------------------------------------------------------------------ the log (append-only)
    @api.model
    def _log(self, vals_list):
        """Append system events in one INSERT, and their invoices in one more.

        The engine logs several events per case, thousands per batch; this writes exactly what
        ``create`` would (same defaults, same columns) without the ORM's per-record work. Values
        are plain column values; ``invoice_ids`` takes ``Command.set`` (or ``(6, 0, ids)``).

        :return: the new events
        """
        if not vals_list:
            return self.browse()
        self.env.flush_all()
        defaults = {"date": fields.Datetime.now(), "channel": "system", "direction": "outbound", "state": "sent"}
        ids = bulk_insert(
            self,
            [{k: v for k, v in vals.items() if k != "invoice_ids"} for vals in vals_list],
            dict(defaults, user_id=self.env.uid),
        )
        event_ids, move_ids = [], []
        for event_id, vals in zip(ids, vals_list, strict=True):
            for command in vals.get("invoice_ids") or []:
                event_ids += [event_id] * len(command[2])
                move_ids += command[2]
        bulk_link(self, "invoice_ids", list(zip(event_ids, move_ids, strict=True)))
        return self.browse(ids)

    def write(self, vals):
        if not self._is_outcome_update(vals):
            raise UserError(
                self.env._(
                    "The collections log is append-only: %(events)s cannot be changed. "
                    "Log a new event to record what happened since.",
                    events=", ".join(self.mapped("name")[:3]),
                )
            )
        return super().write(vals)

    def _is_outcome_update(self, vals):
        if not (self.env.su and set(vals) <= self._OUTCOME_FIELDS):
            return False
        state = vals.get("state", "sent")
        if state in ("sent", "failed", "skipped") and all(event.state == "queued" for event in self):
            return True
        # a bounce: an email that went out came back undelivered
        return state == "failed" and all(
            (event.channel, event.direction, event.state) == ("email", "outbound", "sent") for event in self
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("The collections log is append-only: events cannot be deleted, they are the audit trail.")
        )

    # ------------------------------------------------------------------ bounces
    @api.model
    def _collection_receive_bounce(self, message, reason):
        """The email of ``message`` (a reminder, a statement, a collector's answer) bounced: its
        events fail with the bounce's reason (Odoo's gateway flags the address on the contact,
        ``message_bounce``, and the next reminders go to another address or by letter).

        :return: the failed events
        """
        events = self.search(
            [
                ("mail_message_id", "=", message.id),
                ("channel", "=", "email"),
                ("direction", "=", "outbound"),
                ("state", "in", ("queued", "sent")),
            ]
        )
        if events:
            events.write({"state": "failed", "reason": reason, "reason_code": "bounced"})
        return events

    # ------------------------------------------------------------------ email dispatch
    # The engine's run decides who is contacted and logs each reminder email as a queued event;
    # rendering thousands of emails is the slow part, so it happens here, batch by batch, in its
    # own cron job that the run triggers. A case paid in between gets no reminder.
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
        one outside the contact window or on a day the company does not work stays queued for a
        later dispatch."""
        batch_size = self.env["collection.engine"]._batch_size()
        commit = commit and not modules.module.current_test
        counts = {"queued": 0, "failed": 0, "skipped": 0}
        restrict = SQL("AND e.case_id = ANY(%s)", list(case_ids)) if case_ids is not None else SQL()
        # the events left queued (outside the window, not a working day) are not read again by this dispatch
        last_id = 0
        conflicts = 0
        while True:
            self.env.flush_all()
            # the batch, and the other queued reminders of its customers (sent with theirs, see
            # _reminder_groups), read whatever their place in the queue
            query = SQL(
                """
                WITH batch AS (
                    SELECT e.id, e.partner_id, e.company_id, e.level_id FROM collection_event e
                     WHERE %(queued)s AND e.id > %(last_id)s %(restrict)s
                     ORDER BY e.id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
                )
                SELECT e.id, e.id IN (SELECT id FROM batch) FROM collection_event e
                 WHERE %(queued)s %(restrict)s
                   AND (e.id IN (SELECT id FROM batch)
                        OR (e.id > %(last_id)s
                            AND (e.partner_id, e.company_id, e.level_id) IN
                                (SELECT partner_id, company_id, level_id FROM batch)))
                 ORDER BY e.id FOR UPDATE SKIP LOCKED
                """,
                queued=SQL(
                    """e.channel = 'email' AND e.state = 'queued' AND e.direction = 'outbound'
                       AND e.mail_mail_id IS NULL AND (e.level_id IS NOT NULL OR e.kind = 'statement')"""
                ),
                last_id=last_id,
                restrict=restrict,
                limit=batch_size,
            )
            try:
                rows = self.env.execute_query(query)
            except SerializationFailure:
                # another worker committed a batch of these events after this transaction began:
                # the cron's batch was committed, so a new transaction sees that worker's outcome
                conflicts += 1
                if not commit or conflicts > 5:
                    raise
                self.env.cr.rollback()
                continue
            if not rows:
                break
            last_id = max(row[0] for row in rows if row[1]) if any(row[1] for row in rows) else rows[-1][0]
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

        The queued reminders of one customer in one company at one level go out as one email
        (see ``_reminder_groups``), rendered on the most overdue case and listing the items of
        every case; each case's event records that email and the addresses it went to, resolved
        again now (see ``collection.case._collection_recipients``).

        An event whose guards no longer hold is skipped; an email the template fails on is failed
        with the error (the engine tries the level's reminder again at its next run), the others go out."""
        outcomes = []  # (event id, state, mail id, message id, reason, reason code, email to, email cc)
        cases = self.case_id
        deferred = self.env["collection.engine"]._contact_guards(
            cases, fields.Datetime.now(), self.env["collection.case"]._collection_today()
        )
        waiting = {case for case, (_reason, _retry, code) in deferred.items() if code in ("window", "non_working_day")}
        recipients = cases._collection_recipients({event.case_id.id: event.level_id for event in self})
        going = self.browse()
        statements = self.browse()
        for event in self:
            blocked = event._dispatch_block(recipients)
            if blocked:
                counts["skipped"] += 1
                outcomes.append(
                    (event.id, "skipped", None, None, blocked[1], blocked[0], event.email_to, event.email_cc)
                )
            elif event.case_id not in waiting:
                if event.kind == "statement":
                    statements |= event
                else:
                    going |= event
        outcomes += statements._render_queued_statements(counts)
        for level, groups in going._reminder_groups(self._groupable_levels(going.level_id)).items():
            # {lead case id: [case ids]}, {lead case id: (To partner ids, Cc)}
            listed = {lead.id: group.case_id.ids for lead, group in groups.items()}
            addresses = {lead.id: self._group_addresses(group, recipients) for lead, group in groups.items()}
            leads = cases.browse(list(listed))
            mails, errors = {}, {}
            template = level.mail_template_id
            if template:
                self.env["collection.engine"]._ensure_invoice_access_tokens(
                    cases.browse([case_id for case_ids in listed.values() for case_id in case_ids])
                )
                template = template.with_context(
                    collection_reminder_cases=listed,
                    collection_recipients={lead_id: (to[0], to[2]) for lead_id, to in addresses.items()},
                )

                def render(group, template=template, level=level, listed=listed):
                    group_mails = template._collection_create_mails(group)
                    if level.attach_invoices:
                        self.env["collection.engine"]._attach_invoice_pdfs(group, group_mails, listed)
                    return group_mails

                mails, errors = template._collection_render_isolated(leads, render)
            # the composer emptied the cache: the batch's events are read again, all at once (prefetch)
            tracked = {}  # the lead's event names the links of its customer's email
            for lead, group in groups.items():
                mail = mails.get(lead.id)
                _to_ids, email_to, email_cc = addresses[lead.id]
                for event in group:
                    if mail:
                        tracked.setdefault(group[0], mail)
                        counts["queued"] += 1
                        outcomes.append(
                            (event.id, "queued", mail.id, mail.mail_message_id.id, None, None, email_to, email_cc)
                        )
                    elif template:
                        counts["failed"] += 1
                        reason = errors.get(lead.id) or self.env._("The email could not be rendered")
                        outcomes.append(
                            (event.id, "failed", None, None, reason, "render", event.email_to, event.email_cc)
                        )
                    else:
                        counts["failed"] += 1
                        reason = self.env._("Level %(level)s has no email template", level=level.name)
                        outcomes.append(
                            (event.id, "failed", None, None, reason, "config", event.email_to, event.email_cc)
                        )
            self.env["collection.engine"]._track_links(tracked)
        self._write_outcomes(outcomes)

    def _render_queued_statements(self, counts):
        """Render these queued statement events (the engine's scheduled statements): the customer
        statement template with its PDF, for each customer, per company and collector (the statement
        reads the company's ledger and is signed by the collector, as when sent by hand).

        :return: the outcomes, as ``_render_queued_emails`` records them
        """
        template = self.env.ref("account_collections.mail_template_customer_statement", raise_if_not_found=False)
        outcomes = []
        groups = defaultdict(lambda: self.browse())
        for event in self:
            groups[(event.company_id, event.case_id.user_id)] |= event
        for (company, collector), events in groups.items():
            if not template:
                counts["failed"] += len(events)
                reason = self.env._("The customer statement email template is missing")
                outcomes += [(event.id, "failed", None, None, reason, "config", None, None) for event in events]
                continue
            partners = events.case_id.partner_id
            # sudo: the system sends it, as the collector (or the system's user) signing it
            sender = template.with_user(collector or self.env.user).sudo().with_context(allowed_company_ids=company.ids)
            mails, errors = sender._collection_render_isolated(partners, sender._collection_create_mails)
            tracked = {}
            for event in events:
                mail = mails.get(event.case_id.partner_id.id)
                if mail:
                    counts["queued"] += 1
                    email_to = event.case_id.partner_id.email_formatted or None
                    outcomes.append((event.id, "queued", mail.id, mail.mail_message_id.id, None, None, email_to, None))
                    tracked[event] = mail
                else:
                    counts["failed"] += 1
                    reason = errors.get(event.case_id.partner_id.id) or self.env._("The email could not be rendered")
                    outcomes.append((event.id, "failed", None, None, reason, "render", None, None))
            self.env["collection.engine"]._track_links(tracked)
        return outcomes

    def _groupable_levels(self, levels):
        """The levels whose template lists the items of several cases (it calls
        ``_collection_reminder_cases``, as the suite's reminder template does): a template
        written for one case sends one email per case, as it always did."""
        return levels.filtered(lambda level: "_collection_reminder_cases" in (level.mail_template_id.body_html or ""))

    def _reminder_groups(self, groupable):
        """These queued reminder events, one group per customer, company and level (of
        ``groupable``; one per event otherwise): the reminders that go out as one email, on the
        most overdue case (the lead).

        :return: {level: {lead case: its group's events, the lead's first}}
        """
        groups = defaultdict(lambda: self.browse())
        for event in self:
            key = (event.partner_id, event.company_id, event.level_id)
            groups[key if event.level_id in groupable else (*key, event.id)] |= event
        result = defaultdict(dict)
        for events in groups.values():
            level = events.level_id
            ordered = events.sorted(lambda e: (e.case_id.oldest_due_date or fields.Date.today(), e.case_id.id))
            result[level][ordered[0].case_id] = ordered
        return result

    def _group_addresses(self, events, recipients):
        """(To partner ids, To, Cc) of one email sent for the cases of ``events`` (one customer):
        the customer's recipients, and every address one of the cases copies."""
        to_ids, email_to, cc = [], "", {}
        for event in events:
            resolved = recipients[event.case_id.id]
            to_ids, email_to = resolved["partner_ids"], resolved["email_to"]
            cc.update(resolved["cc"])
        return to_ids, email_to or None, ", ".join(cc.values()) or None

    def _dispatch_block(self, recipients=None):
        """Why this queued reminder may not go out now, whoever queued it: (reason code, text), or False.

        The run checked the same when it queued the reminder; the case or its customer may have
        changed since (paid, handed over to an agency, marked do not contact, opted out, no
        address left to send to).

        :param recipients: the batch's resolved recipients (see ``collection.case._collection_recipients``)
        """
        self.ensure_one()
        case = self.case_id
        if case.state != "open":
            return "closed", self.env._("The case was closed before the email was sent")
        if case.stage_id.code in STOPPED_STAGE_CODES:
            return "stage", self.env._(
                "The case moved to %(stage)s before the email was sent: internal dunning stopped",
                stage=case.stage_id.name,
            )
        if (self.partner_id, self.company_id, self.level_id.company_id or self.company_id) != (
            case.partner_id,
            case.company_id,
            case.company_id,
        ):
            return "config", self.env._("The reminder's customer, company or level is not its case's: not sent")
        return case._channel_block_reason("email", recipients)

    # ------------------------------------------------------------------ tracked links
    @api.model
    def _log_link_clicks(self, clicks):
        """Log each click on a tracked link of a reminder or statement (``link.tracker.click`` naming
        its event) as an inbound event of the case, with the level and channel of what was opened."""
        vals_list = []
        for click in clicks.filtered("collection_event_id"):
            event = click.collection_event_id
            vals_list.append(
                event.case_id._event_vals(
                    self.env._("Opened pay link: %(link)s", link=click.link_id.title or click.link_id.url),
                    channel=event.channel,
                    direction="inbound",
                    kind="link_click",
                    level_id=event.level_id.id,
                    link_event_id=event.id,
                    link_tracker_id=click.link_id.id,
                    note=click.link_id.url,
                )
            )
        return self._log(vals_list)

    def _write_outcomes(self, outcomes):
        """Record the outcome of many queued events in one UPDATE (the log's one allowed change)."""
        names = ("state", "mail_mail_id", "mail_message_id", "reason", "reason_code", "email_to", "email_cc")
        bulk_update(self, {outcome[0]: dict(zip(names, outcome[1:], strict=True)) for outcome in outcomes})
