from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf
from odoo.tools.sql import create_index, drop_index, make_index_name

from ..tools import GROUP_USER, check_group
from .bulk_sql import bulk_insert, bulk_link

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
]
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
    reports it.
    """

    _name = "collection.event"
    _description = "Collection Event"
    _order = "date desc, id desc"
    _rec_name = "name"

    # fields the system may still fill in while a queued event gets its outcome
    _OUTCOME_FIELDS = frozenset({"state", "reason", "reason_code", "mail_message_id", "mail_mail_id", "attachment_id"})

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
        return (
            self.env.su
            and set(vals) <= self._OUTCOME_FIELDS
            and vals.get("state", "sent") in ("sent", "failed", "skipped")
            and all(event.state == "queued" for event in self)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("The collections log is append-only: events cannot be deleted, they are the audit trail.")
        )
