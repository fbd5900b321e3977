from odoo import Command, fields, models
from odoo.exceptions import UserError

from ..tools import GROUP_USER, check_group
from .collection_event import CALL_OUTCOMES


class CollectionCase(models.Model):
    """Promises to pay and logged calls on a case."""

    _inherit = "collection.case"

    promise_ids = fields.One2many("collection.promise", "case_id", string="Promises", readonly=True)
    promise_count = fields.Integer(compute="_compute_promise_count", string="Open Promises")

    def _compute_promise_count(self):
        counts = dict(
            self.env["collection.promise"]._read_group(
                [("case_id", "in", self.ids), ("state", "in", ("draft", "open"))], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.promise_count = counts.get(case, 0)

    # ------------------------------------------------------------------ promises
    def action_view_promises(self):
        check_group(self.env, GROUP_USER, self.env._("view the promises of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_promise")
        action.update(domain=[("case_id", "=", self.id)], context={"default_case_id": self.id})
        return action

    def action_new_promise(self):
        """Case form button: a draft promise on what the case dunns, for its full amount."""
        check_group(self.env, GROUP_USER, self.env._("record a promise to pay"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(self.env._("Case %(case)s is closed: there is nothing to promise.", case=self.display_name))
        return self._promise_form_action()

    def _promise_form_action(self, call_event=None):
        invoices = self.dunning_invoice_ids.filtered(lambda m: m.move_type in ("out_invoice", "out_receipt"))
        context = {
            "default_case_id": self.id,
            "default_invoice_ids": [Command.set(invoices.ids)],
            "default_amount": self.currency_id.round(sum(invoices.mapped("amount_residual"))),
        }
        if call_event:
            context["default_call_event_id"] = call_event.id
            context["default_note"] = call_event.note
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay"),
            "res_model": "collection.promise",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": context,
        }

    def _check_agreements(self, companies, today):
        """Open promises become kept or broken before the levels run."""
        res = super()._check_agreements(companies, today)
        self.env["collection.promise"]._settle_open_promises(companies, today)
        return res

    # ------------------------------------------------------------------ calls
    def action_log_call(self, outcome, note=None, direction="outbound", follow_up_date=None):
        """Log a phone call with the customer (External API).

        :param outcome: reached, no_answer, promise, refused or wrong_number
        :param note: what was said
        :param direction: outbound (we called, counts toward the weekly contact cap) or inbound
        :param follow_up_date: ISO date of a follow-up activity for the collector (optional)
        :return: id of the ``collection.event`` logged
        """
        check_group(self.env, GROUP_USER, self.env._("log a call"))
        return self._log_call(outcome, note=note, direction=direction, follow_up_date=follow_up_date).id

    def _log_call(self, outcome, note=None, direction="outbound", follow_up_date=None):
        self.ensure_one()
        outcomes = dict(CALL_OUTCOMES)
        if not isinstance(outcome, str) or outcome not in outcomes:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: %(outcome)r is not a call outcome. Use one of: %(valid)s.",
                    case=self.display_name,
                    outcome=outcome,
                    valid=", ".join(outcomes),
                )
            )
        if not isinstance(direction, str) or direction not in ("outbound", "inbound"):
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: direction must be outbound or inbound, not %(direction)r.",
                    case=self.display_name,
                    direction=direction,
                )
            )
        if note and not isinstance(note, str):
            raise UserError(self.env._("Cannot log a call on %(case)s: the note must be text.", case=self.display_name))
        today = self._collection_today()
        try:
            follow_up = fields.Date.to_date(follow_up_date) if follow_up_date else False
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: the follow-up date %(date)r is not an ISO date (YYYY-MM-DD).",
                    case=self.display_name,
                    date=follow_up_date,
                )
            ) from error
        if follow_up and follow_up < today:
            raise UserError(
                self.env._(
                    "Cannot log a call on %(case)s: the follow-up date %(date)s is in the past. Pick today or later.",
                    case=self.display_name,
                    date=follow_up,
                )
            )
        if direction == "outbound":
            over_limit = self.env["collection.engine"]._call_limit_reasons(self, fields.Datetime.now())
            if over_limit:
                raise UserError(
                    self.env._(
                        "Cannot log a call on %(case)s: %(reason)s.", case=self.display_name, reason=over_limit[self]
                    )
                )
        selection = dict(self.env["collection.event"]._fields["outcome"]._description_selection(self.env))
        # sudo: the log is append-only, users log their calls through this method only
        Event = self.env["collection.event"].sudo()
        event = Event.create(
            self._event_vals(
                self.env._("Call: %(outcome)s", outcome=selection[outcome]),
                channel="call",
                direction=direction,
                state="sent",
                outcome=outcome,
                note=note or False,
                invoice_ids=[Command.set(self.dunning_invoice_ids.ids)],
            )
        )
        if follow_up:
            self.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=follow_up,
                summary=self.env._("Follow up on the call of %(date)s", date=today),
                note=note or "",
                user_id=(self.user_id or self.partner_id.collection_user_id or self.env.user).id,
            )
        return event
