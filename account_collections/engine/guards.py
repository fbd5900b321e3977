from datetime import timedelta

import pytz

from odoo import Command, fields
from odoo.tools import SQL

# channels that reach the customer: they count against the weekly cap
CONTACT_CHANNELS = ("email", "letter", "sms", "call")


class GuardsStep:
    """Step: the compliance guards, before any contact goes out.

    Per case: the company's working days (its calendar, ``working_days.py``), the contact window
    (in the customer's time zone) and the weekly cap defer the whole level; per channel: opt-outs,
    do-not-contact and a missing address skip that channel (``_contact_split``), the rest of the
    level runs.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _guards(self, run, cases):
        """Defer the cases whose contact must wait: a skipped event (once a day per case, level
        and reason) and their next action moved to when they may be contacted again.

        :return: (the cases that run their level now, the event values to log)
        """
        deferred = self._contact_guards(cases, fields.Datetime.now(), run.today, memo=run.working_days)
        if not deferred:
            return cases, []
        run.counts["skipped"] += len(deferred)
        events = self._dedup_skips(
            [
                self._event_vals(
                    run, case, reason, state="skipped", reason=reason, reason_code=code, level_id=case.next_level_id.id
                )
                for case, (reason, _retry, code) in deferred.items()
            ],
            run.today,
        )
        cases.browse()._write_engine_values(
            {
                case.id: {"next_action_date": retry}
                for case, (_reason, retry, _code) in deferred.items()
                if retry and retry != case.next_action_date
            }
        )
        return cases - cases.browse([case.id for case in deferred]), events

    def _contact_guards(self, cases, now, today, memo=None):
        """The cases whose contact must wait: on a day the company does not work (a weekend, unless
        it allows them, or a public holiday of its calendar: deferred to its next working day),
        outside the contact window or over the weekly cap.

        Also what the dispatch, the collectors' buttons and the agreements' reminders check.

        :param memo: a run's ``working_days``: the working-day rules read once per run
        :return: {case: (reason, retry date, reason code)}
        """
        deferred = {}
        # what the batch reads of its customers, in one query: the columns any read of a customer
        # fetches (its email, blacklist and names, which the channels read next), and the collector,
        # per company, that such a read leaves out
        partners = cases.partner_id | cases.company_id.partner_id
        partners.fetch(
            [name for name, field in partners._fields.items() if field.prefetch is True and field.column_type]
            + ["tz", "email", "do_not_contact", "collection_user_id"]
            + [f"collection_{channel}_opt_out" for channel in CONTACT_CHANNELS]
        )
        recent = self._recent_contact_counts(cases, now)
        rules = self._working_day_rules(cases.company_id, today - timedelta(days=1), memo=memo)
        for case in cases:
            company = case.company_id
            tz_name = case.partner_id.tz or company.partner_id.tz or "UTC"
            try:
                tz = pytz.timezone(tz_name)
            except pytz.UnknownTimeZoneError:
                tz = pytz.utc
            local = pytz.utc.localize(now).astimezone(tz)
            hour = local.hour + local.minute / 60.0
            # the run's day, on the customer's side of midnight
            day = today + timedelta(days=(local.date() - now.date()).days)
            if not self._is_working_day(rules, company, day):
                retry = max(self._next_working_day(rules, company, day), today)
                deferred[case] = (
                    self.env._(
                        "Not a working day of %(company)s (weekend or public holiday): "
                        "deferred to %(day)s, the next working day",
                        company=company.name,
                        day=retry,
                    ),
                    retry,
                    "non_working_day",
                )
            elif not (company.collection_window_start <= hour < company.collection_window_end):
                retry = local.date() if hour < company.collection_window_start else local.date() + timedelta(days=1)
                deferred[case] = (
                    self.env._(
                        "Outside the contact window (%(start)s-%(end)s, %(tz)s): deferred to the next window",
                        start=self._format_hour(company.collection_window_start),
                        end=self._format_hour(company.collection_window_end),
                        tz=tz_name,
                    ),
                    max(retry, today),
                    "window",
                )
            elif recent.get(case.partner_id.id, 0) >= company.collection_weekly_cap:
                deferred[case] = (
                    self.env._(
                        "Weekly contact cap reached (%(cap)s contacts in 7 days): deferred",
                        cap=company.collection_weekly_cap,
                    ),
                    today + timedelta(days=1),
                    "cap",
                )
        return deferred

    def _format_hour(self, value):
        return f"{int(value):02d}:{round(value % 1 * 60):02d}"

    def _recent_contact_counts(self, cases, now):
        """{customer id: outbound contacts queued or sent in the 7 days before ``now``}: one email
        logged on several cases of the customer (one reminder for its currencies, a statement)
        is one contact."""
        self.env["collection.event"].flush_model(
            ["partner_id", "direction", "channel", "state", "date", "mail_message_id"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, COUNT(DISTINCT COALESCE(-mail_message_id, id))
                  FROM collection_event
                 WHERE partner_id = ANY(%s) AND direction = 'outbound' AND channel IN %s
                   AND state IN ('queued', 'sent') AND date > %s
                 GROUP BY partner_id
                """,
                cases.partner_id.ids,
                CONTACT_CHANNELS,
                now - timedelta(days=7),
            )
        )
        return dict(rows)

    def _queue_contacts(self, run, channel, level, cases, name):
        """One queued event of the level on ``channel`` for each case reachable on it (a skipped
        one, with the reason, for the others): what the email and letter channels log.

        :param name: the event's summary, e.g. "First reminder: email"
        :return: event values
        """
        reachable, events = self._contact_split(run, channel, level, cases)
        run.counts["queued"] += len(reachable)
        events += [
            self._event_vals(
                run,
                case,
                name,
                channel=channel,
                state="queued",
                level_id=level.id,
                invoice_ids=[Command.set(case._dunned_invoices().ids)],
                **self._contact_addresses(run, channel, case),
            )
            for case in reachable
        ]
        return events

    def _contact_addresses(self, run, channel, case):
        """The addresses an event of ``case`` on ``channel`` records: for an email, who it will
        be sent to and copy (the dispatch records who it went to)."""
        if channel != "email":
            return {}
        recipients = run.recipients[case.id]
        return {"email_to": recipients["email_to"] or None, "email_cc": recipients["email_cc"] or None}

    def _batch_recipients(self, run, level, cases):
        """Who the reminder emails of ``cases`` go to: resolved for the batch (see
        ``_group_reminders``); the cases retried alone are resolved here. :return: ``run.recipients``"""
        missing = cases.filtered(lambda case: case.id not in run.recipients)
        if missing:
            run.recipients.update(
                missing._collection_recipients(dict.fromkeys(missing.ids, level), addresses=run.addresses)
            )
        return run.recipients

    def _contact_split(self, run, channel, level, cases):
        """Split ``cases`` into those reachable on the channel and skip events for the others
        (opt-out, do not contact, no address).

        :return: (reachable cases, event values)
        """
        reachable, events = cases.browse(), []
        recipients = self._batch_recipients(run, level, cases) if channel == "email" else None
        for case in cases:
            blocked = case._channel_block_reason(channel, recipients)
            if blocked:
                code, reason = blocked
                run.counts["skipped"] += 1
                events.append(
                    self._event_vals(
                        run,
                        case,
                        self.env._("%(level)s: %(channel)s not sent", level=level.name, channel=channel),
                        channel=channel,
                        state="skipped",
                        reason=reason,
                        reason_code=code,
                        level_id=level.id,
                        invoice_ids=[(6, 0, case._dunned_invoices().ids)],
                    )
                )
            else:
                reachable |= case
        return reachable, events
