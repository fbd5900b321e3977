import phonenumbers

from odoo import models
from odoo.exceptions import UserError

from odoo.addons.account_collections.engine.run import empty_counts
from odoo.addons.account_collections.tools import GROUP_USER, check_group

from .sms_segments import sms_clean, sms_segments

MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class CollectionCase(models.Model):
    _inherit = "collection.case"

    def action_send_sms(self):
        """Collector button: send the default reminder SMS now, under the same guards as the engine."""
        check_group(self.env, GROUP_USER, self.env._("send a reminder SMS"))
        template = self.env.ref("account_collections_sms.sms_template_collection_reminder")
        counts = empty_counts()
        self._check_manual_contact("sms")
        events = self._send_collection_sms(template, counts)
        # sudo: the log is append-only, written by the suite for the collector who sends
        self.env["collection.event"].sudo().create(events)
        if counts["skipped"] or counts["failed"]:
            skipped = [vals["reason"] for vals in events if vals.get("state") in ("skipped", "failed")]
            raise UserError(self.env._("The SMS was not sent: %s", "; ".join(filter(None, skipped))))
        return True

    def _sms_recipient(self):
        """(E.164 number, False, False) or (False, reason code, reason) for the customer's mobile."""
        self.ensure_one()
        partner = self.partner_id
        raw = partner.mobile or partner.phone
        if not raw:
            return False, "no_address", self.env._("Customer has no mobile number")
        country = partner.country_id or self.company_id.country_id
        try:
            parsed = phonenumbers.parse(raw, country.code if country else None)
        except phonenumbers.NumberParseException:
            parsed = None
        if not parsed or not phonenumbers.is_valid_number(parsed):
            return False, "no_address", self.env._("Invalid mobile number %(number)s", number=raw)
        if phonenumbers.number_type(parsed) not in MOBILE_TYPES:
            return False, "no_address", self.env._("%(number)s is not a mobile number", number=raw)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), False, False

    def _send_collection_sms(self, template, counts, level=None, bodies=None, label=None, errors=None):
        """Queue one SMS per reachable case through Odoo's SMS queue; returns event values.

        A case the template fails on gets a failed event with the error and stops no other.

        :param bodies: {case id: text} already rendered (else the template renders on the cases)
        :param errors: with ``bodies``: {case id: error text} of the cases whose text failed to render
        """
        events, to_send = [], {}
        level_name = label or (level.name if level else self.env._("Manual SMS"))
        for case in self:
            blocked = case._channel_block_reason("sms")
            number, code, reason = case._sms_recipient() if not blocked else (False, *blocked)
            if number:
                to_send[case] = number
                continue
            counts["skipped"] += 1
            events.append(case._sms_event_vals(level, level_name, "skipped", reason=reason, reason_code=code))
        if not to_send:
            return events
        numbers = set(to_send.values())
        blacklisted = set(self.env["phone.blacklist"].sudo().search([("number", "in", list(numbers))]).mapped("number"))
        cases = self.browse([case.id for case in to_send])
        if bodies is None:
            bodies, errors = template._collection_render_isolated(
                cases, lambda group: template._render_field("body", group.ids, compute_lang=True)
            )
        errors = errors or {}
        for case in cases:
            number = to_send[case]
            body = sms_clean(bodies[case.id]) if case.id not in errors else ""
            max_segments = case.company_id.collection_sms_max_segments
            if case.id in errors:
                counts["failed"] += 1
                events.append(
                    case._sms_event_vals(level, level_name, "failed", reason=errors[case.id], reason_code="render")
                )
            elif number in blacklisted:
                counts["skipped"] += 1
                events.append(
                    case._sms_event_vals(
                        level,
                        level_name,
                        "skipped",
                        reason=self.env._("Number blacklisted (STOP)"),
                        reason_code="opt_out",
                    )
                )
            elif sms_segments(body) > max_segments:
                counts["failed"] += 1
                events.append(
                    case._sms_event_vals(
                        level,
                        level_name,
                        "failed",
                        reason=self.env._(
                            "Message of %(segments)s segments, more than the %(max)s allowed",
                            segments=sms_segments(body),
                            max=max_segments,
                        ),
                        reason_code="config",
                    )
                )
            else:
                message = case._message_sms(
                    body,
                    partner_ids=case.partner_id.ids,
                    sms_pid_to_number={case.partner_id.id: number},
                    put_in_queue=True,
                )
                counts["queued"] += 1
                events.append(case._sms_event_vals(level, level_name, "queued", mail_message_id=message.id))
        return events

    def _sms_event_vals(self, level, level_name, state, **values):
        self.ensure_one()
        return self._event_vals(
            self.env._("%(level)s: SMS", level=level_name),
            channel="sms",
            state=state,
            level_id=level.id if level else False,  # a manual or agreement SMS is no level's reminder
            invoice_ids=[(6, 0, self._dunned_invoices().ids)],
            **values,
        )
