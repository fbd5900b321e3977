import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..tools import GROUP_MANAGER, GROUP_USER, check_date, check_group
from .bulk_sql import bulk_update
from .collection_case import HANDED_OVER_STAGE_CODES, STOPPED_STAGE_CODES

_logger = logging.getLogger(__name__)

# channels that reach the customer: they count against the weekly cap
CONTACT_CHANNELS = ("email", "letter", "sms", "call")
# models the engine keeps in cache from one batch to the next: configuration, not data
_KEPT_IN_CACHE = frozenset(
    {
        "collection.level",
        "collection.policy",
        "collection.stage",
        "mail.activity.type",
        "mail.template",
        "res.company",
        "res.currency",
        "res.users",
    }
)
# cursor precommit data key of the collectors whose activity counters must refresh
_ACTIVITY_USERS = "account_collections.activity_users"


class CollectionCase(models.Model):
    """The dunning engine: executes due levels, batch by batch, exactly once."""

    _inherit = "collection.case"

    # ------------------------------------------------------------------ entry points
    @api.model
    def run_collections(self, date=None, company_ids=None):
        """Refresh the cases, then execute every due level.

        Collections Managers only (the cron runs ``_cron_run_collections`` as superuser).

        :param date: ISO date of the run (default today), to simulate another day
        :param company_ids: restrict to these companies of the caller (default: the caller's current
            companies; every company for the superuser)
        :return: ``{"cases": n, "sent": n, "queued": n, "skipped": n, "failed": n}``
        """
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        return self._run_collections(date=date, company_ids=company_ids)

    @api.model
    def _cron_run_collections(self):
        self._run_collections(commit=True)

    def action_run_collections(self):
        """Manager button: run the engine now, for the current companies."""
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        counts = self._run_collections(company_ids=self.env.companies.ids)
        return self._notification(
            self.env._("Collections run"),
            self.env._(
                "%(cases)s cases worked: %(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed. "
                "Queued reminder emails are rendered and sent by the mail queue in the next minutes.",
                **counts,
            ),
        )

    def action_send_next_reminder(self):
        """Collector button: execute the next level of these cases now, whatever its date, under
        the engine's guards (contact window, weekly cap, opt-outs: logged and deferred)."""
        check_group(self.env, GROUP_USER, self.env._("send the next reminder of a case"))
        today = self._collection_today()
        self._check_not_handed_over()
        cases = self.filtered(lambda c: c.state == "open" and c.next_level_id)
        if not cases:
            raise UserError(
                self.env._(
                    "%(cases)s has no next level to send: the case is closed or its policy has no level left.",
                    cases=", ".join(self.mapped("display_name")),
                )
            )
        counts = self._empty_counts()
        self.sudo()._execute_batch(cases.ids, today, counts, force=True)
        # a collector's click: the reminder goes to the mail queue now, not with the next dispatch
        self.env["collection.event"].sudo()._dispatch_emails(case_ids=cases.ids)
        return self._notification(
            self.env._("Reminder"),
            self.env._("%(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed.", **counts),
        )

    @api.model
    def _notification(self, title, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------ the run
    @api.model
    def _empty_counts(self):
        return {"cases": 0, "sent": 0, "queued": 0, "skipped": 0, "failed": 0}

    @api.model
    def _run_collections(self, date=None, company_ids=None, commit=False):
        today = self._parse_run_date(date)
        companies = self._check_companies(company_ids, self.env._("run the collections engine"))
        # sudo: the engine acts for the company on data derived from the ledger; the run date
        # travels down as a date object (see tools/run_date.py)
        engine = self.sudo().with_context(collection_date=today)
        Engine = self.env["collection.engine"].sudo()
        run = Engine._new_run(today, companies)
        Engine._refresh(run)
        Engine._settle_agreements(run)
        engine._log_paused(companies, today)
        due_ids = engine._select_due_case_ids(companies, today)
        counts = self._empty_counts()
        batch_size = engine._batch_size()
        done = 0
        commit = commit and not modules.module.current_test
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: refreshed cases are kept
        for batch in split_every(batch_size, due_ids):
            # a batch is all or nothing: a crash rolls back its cases, earlier batches stay done
            with self.env.cr.savepoint():
                engine._execute_batch(list(batch), today, counts)
            engine._release_batch_cache()
            done += len(batch)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron batch boundary
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(due_ids) - done)
        # the reminders that failed at an earlier run (a case that ran a level now is not retried now)
        done_ids = set(due_ids)
        retry_ids = [case_id for case_id in engine._select_retry_case_ids(companies, today) if case_id not in done_ids]
        for batch in split_every(batch_size, retry_ids):
            with self.env.cr.savepoint():
                engine._retry_batch(list(batch), today, counts)
            engine._release_batch_cache()
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron batch boundary
        if counts["queued"]:
            # the queued reminder emails are rendered by their own cron job, batch by batch
            self.env["collection.event"]._trigger_dispatch()
        _logger.info("Collections run for %s: %s", today, counts)
        return counts

    def _release_batch_cache(self):
        """Drop the batch's records from the cache so memory stays flat over batches; the
        configuration every batch reads (levels, policies, stages, companies...) stays."""
        self.env.flush_all()
        # straight to the cache: invalidate_model would also drop the inverse fields of the kept
        # models (a company's partner, a user's partner), read again in every batch
        self.env.cache.invalidate(
            [
                (field, None)
                for model_name, model in self.env.registry.items()
                if model_name not in _KEPT_IN_CACHE
                for field in model._fields.values()
            ]
        )

    def _parse_run_date(self, date):
        return check_date(self.env, date, self.env._("The run date")) or fields.Date.context_today(self)

    def _batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param("account_collections.batch_size", "1000")
        try:
            return max(1, int(value))
        except ValueError:
            return 1000

    def _due_condition(self, today):
        return SQL(
            """
            c.state = 'open'
              AND c.next_level_id IS NOT NULL
              AND c.next_action_date <= %(today)s
              AND (c.paused_until IS NULL OR c.paused_until <= %(today)s)
              AND NOT EXISTS (SELECT 1 FROM collection_stage s
                               WHERE s.id = c.stage_id AND s.code IN %(stopped)s)
              AND EXISTS (SELECT 1 FROM collection_level l WHERE l.id = c.next_level_id AND l.auto_execute)
            """,
            today=today,
            stopped=STOPPED_STAGE_CODES,
        )

    def _log_paused(self, companies, today):
        """Log once, per case and level, a level that fell due while the case is paused."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id
                  FROM collection_case c
                  JOIN collection_level l ON l.id = c.next_level_id
                 WHERE c.state = 'open' AND c.company_id = ANY(%(companies)s)
                   AND c.paused_until > %(today)s
                   AND c.oldest_due_date + l.delay_days <= %(today)s
                   AND NOT EXISTS (SELECT 1 FROM collection_event e
                                    WHERE e.case_id = c.id AND e.level_id = l.id AND e.reason_code = 'paused')
                """,
                companies=companies.ids,
                today=today,
            )
        )
        cases = self.browse([row[0] for row in rows])
        self.env["collection.event"]._log(
            [
                case._event_vals(
                    self.env._("%(level)s waits: case paused", level=case.next_level_id.name),
                    state="skipped",
                    reason=self.env._("Paused until %(date)s", date=case.paused_until),
                    reason_code="paused",
                    level_id=case.next_level_id.id,
                )
                for case in cases
            ]
        )

    def _select_due_case_ids(self, companies, today):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT c.id FROM collection_case c WHERE %s AND c.company_id = ANY(%s) ORDER BY c.id",
                self._due_condition(today),
                companies.ids,
            )
        )
        return [row[0] for row in rows]

    def _lock_due_cases(self, case_ids, today, force=False):
        """Lock the cases still due; cases another worker holds are skipped, not waited for."""
        condition = (
            SQL(
                """c.state = 'open' AND c.next_level_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM collection_stage s WHERE s.id = c.stage_id AND s.code IN %s)""",
                STOPPED_STAGE_CODES,
            )
            if force
            else self._due_condition(today)
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT c.id FROM collection_case c WHERE c.id = ANY(%s) AND %s ORDER BY c.id FOR UPDATE SKIP LOCKED",
                case_ids,
                condition,
            )
        )
        return self.browse([row[0] for row in rows])

    def _execute_batch(self, case_ids, today, counts, force=False):
        self.env.flush_all()
        cases = self._lock_due_cases(case_ids, today, force=force)
        if not cases:
            return
        # the locked rows may have moved since selection: read them fresh
        cases.invalidate_recordset()
        now = fields.Datetime.now()
        deferred = cases._check_contact_guards(now, today)
        events = []
        for case, (reason, retry_date, code) in deferred.items():
            events.append(
                case._event_vals(
                    reason, state="skipped", reason=reason, reason_code=code, level_id=case.next_level_id.id
                )
            )
            counts["skipped"] += 1
            if retry_date and retry_date != case.next_action_date:
                case._write_workflow({"next_action_date": retry_date})
        todo = cases - self.browse([case.id for case in deferred])
        if deferred:
            self.env["collection.event"]._log(self._dedup_skips(events, today))
        if not todo:
            return
        levels = todo._levels_to_execute(today, force=force)
        counts["cases"] += len(todo)
        todo._execute_levels(levels, today, counts)

    # ------------------------------------------------------------------ reminders that failed to render
    def _retry_condition(self, today):
        """Cases still dunned whose current level's last reminder on a channel failed to render."""
        return SQL(
            """
            c.state = 'open'
              AND (c.paused_until IS NULL OR c.paused_until <= %(today)s)
              AND NOT EXISTS (SELECT 1 FROM collection_stage s
                               WHERE s.id = c.stage_id AND s.code IN %(stopped)s)
              AND EXISTS (%(failed)s)
            """,
            today=today,
            stopped=STOPPED_STAGE_CODES,
            failed=self._failed_render_query(SQL("e.case_id = c.id")),
        )

    def _failed_render_query(self, where):
        """The last reminder of each channel of the case's current level, where it failed to render."""
        return SQL(
            """
            SELECT e.case_id, e.channel FROM collection_event e
             WHERE %s AND e.state = 'failed' AND e.reason_code = 'render'
               AND e.level_id = (SELECT c2.level_id FROM collection_case c2 WHERE c2.id = e.case_id)
               AND NOT EXISTS (SELECT 1 FROM collection_event n
                                WHERE n.case_id = e.case_id AND n.level_id = e.level_id
                                  AND n.channel = e.channel AND n.id > e.id)
            """,
            where,
        )

    def _select_retry_case_ids(self, companies, today):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id FROM collection_case c
                 WHERE c.id IN (SELECT e.case_id FROM collection_event e
                                 WHERE e.state = 'failed' AND e.reason_code = 'render')
                   AND c.company_id = ANY(%s) AND %s
                 ORDER BY c.id
                """,
                companies.ids,
                self._retry_condition(today),
            )
        )
        return [row[0] for row in rows]

    def _retry_batch(self, case_ids, today, counts):
        """Send again the reminders of the cases' current level that failed to render (a broken
        template, since fixed or not): the rest of the level (fees, letters, activities) ran
        when the level did and does not run twice. Under the same guards as the level."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT c.id FROM collection_case c WHERE c.id = ANY(%s) AND %s ORDER BY c.id FOR UPDATE SKIP LOCKED",
                case_ids,
                self._retry_condition(today),
            )
        )
        cases = self.browse([row[0] for row in rows])
        if not cases:
            return
        cases.invalidate_recordset()
        channels = self.env.execute_query(self._failed_render_query(SQL("e.case_id = ANY(%s)", cases.ids)))
        deferred = cases._check_contact_guards(fields.Datetime.now(), today)
        events = self._dedup_skips(
            [
                case._event_vals(reason, state="skipped", reason=reason, reason_code=code)
                for case, (reason, _retry, code) in deferred.items()
            ],
            today,
        )
        counts["skipped"] += len(deferred)
        to_retry = defaultdict(lambda: self.browse())
        for case_id, channel in channels:
            case = self.browse(case_id)
            if case not in deferred:
                to_retry[(case.level_id, channel)] |= case
        retried = []
        with cases._event_bases():
            for (level, channel), level_cases in to_retry.items():
                contacts = level_cases.with_prefetch(cases._prefetch_ids)._retry_level_contact(level, channel, counts)
                retried += [vals["case_id"] for vals in contacts]
                events += contacts
        # the case row is written: a second run at the same time waits for this one, then sees the new events
        cases._write_engine_values({case_id: {"last_action_date": today} for case_id in set(retried)})
        self.env["collection.event"]._log(events)

    def _retry_level_contact(self, level, channel, counts):
        """Hook: the level's contact on ``channel`` again, for cases whose reminder on it failed to
        render; returns the event values. Channel addons (SMS) add theirs."""
        if channel == "email" and level.send_email:
            return self._send_level_email(level, counts)
        return []

    # ------------------------------------------------------------------ guards
    def _check_not_handed_over(self):
        """Refuse contacting cases an agency or a lawyer works: they talk to the customer."""
        handed_over = self.filtered(lambda c: c.state == "open" and c.stage_code in HANDED_OVER_STAGE_CODES)
        if handed_over:
            case = handed_over[0]
            raise UserError(
                self.env._(
                    "Case %(case)s is %(stage)s (%(handler)s): we do not contact the customer ourselves any "
                    "more. Recall the case first to dun it again.",
                    case=case.display_name,
                    stage=case.stage_id.name,
                    handler=case._handled_by().display_name or self.env._("handed over"),
                )
            )

    def _check_manual_contact(self, channel):
        """What a collector's button checks before contacting the customers of these cases now:
        the engine's guards (stage, do-not-contact, opt-out, address, contact window, weekly cap).
        Raises a UserError naming each case refused and why."""
        self._check_not_handed_over()
        reasons = {}
        for case in self:
            if case.state != "open":
                reasons[case] = self.env._("the case is closed")
            elif blocked := case._channel_block_reason(channel):
                reasons[case] = blocked[1]
        deferred = (self - self.browse([case.id for case in reasons]))._check_contact_guards(
            fields.Datetime.now(), self._collection_today()
        )
        reasons.update({case: reason for case, (reason, _retry, _code) in deferred.items()})
        if reasons:
            raise UserError(
                self.env._(
                    "Not sent:\n%(reasons)s",
                    reasons="\n".join(f"{case.display_name}: {reason}" for case, reason in reasons.items()),
                )
            )

    def _check_contact_guards(self, now, today):
        """Cases whose contact must wait: outside the contact window or over the weekly cap.

        :return: {case: (reason, retry date, reason code)}
        """
        deferred = {}
        # what the batch reads of its customers, in one query (collection_user_id is per company)
        (self.partner_id | self.company_id.partner_id).fetch(
            ["tz", "email", "do_not_contact", "collection_user_id"]
            + [f"collection_{channel}_opt_out" for channel in ("email", "letter", "sms", "call")]
        )
        recent = self._recent_contact_counts(now)
        for case in self:
            company = case.company_id
            tz_name = case.partner_id.tz or company.partner_id.tz or "UTC"
            try:
                tz = pytz.timezone(tz_name)
            except pytz.UnknownTimeZoneError:
                tz = pytz.utc
            local = pytz.utc.localize(now).astimezone(tz)
            hour = local.hour + local.minute / 60.0
            if not (company.collection_window_start <= hour < company.collection_window_end):
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

    @api.model
    def _format_hour(self, value):
        return f"{int(value):02d}:{round(value % 1 * 60):02d}"

    def _recent_contact_counts(self, now):
        groups = self.env["collection.event"]._read_group(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("direction", "=", "outbound"),
                ("channel", "in", CONTACT_CHANNELS),
                ("state", "in", ("queued", "sent")),
                ("date", ">", now - timedelta(days=7)),
            ],
            ["partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups}

    def _dedup_skips(self, events, today):
        """Log a deferral once a day per case, level and reason, however often the cron runs."""
        start = datetime.combine(today, time.min)
        logged = {
            (event.case_id.id, event.level_id.id, event.reason)
            for event in self.env["collection.event"].search(
                [
                    ("case_id", "in", [vals["case_id"] for vals in events]),
                    ("state", "=", "skipped"),
                    ("date", ">=", start),
                ]
            )
        }
        return [vals for vals in events if (vals["case_id"], vals["level_id"], vals["reason"]) not in logged]

    def _channel_block_reason(self, channel):
        """Why the customer may not be contacted on this channel: (reason code, text), or False."""
        self.ensure_one()
        return self.partner_id._collection_block_reason(channel)

    # ------------------------------------------------------------------ levels
    def _levels_to_execute(self, today, force=False):
        """The level each case runs now: the highest due one, the ones jumped on the way.

        :return: {case: (level, jumped levels)}
        """
        result = {}
        # each policy's levels read once for the batch: (level, delay, automatic)
        levels_by_policy = {
            policy.id: [(level, level.delay_days, level.auto_execute) for level in policy.level_ids]
            for policy in self.policy_id
        }
        for case in self:
            current = case.level_id.delay_days if case.level_id else None
            oldest_due_date = case.oldest_due_date
            due = []
            for level, delay, automatic in levels_by_policy.get(case.policy_id.id, []):
                if current is not None and delay <= current:
                    continue
                if not automatic and due:
                    break
                if force and not due:
                    due.append(level)
                    if not automatic:
                        break  # the collector runs this manual level: nothing is jumped past it
                    continue
                if oldest_due_date + timedelta(days=delay) > today:
                    break
                due.append(level)
                if not automatic:
                    break
            if due:
                result[case] = (due[-1], due[:-1])
        return result

    def _execute_levels(self, levels, today, counts):
        """Execute each case's level: what the batch changes on the cases (level, stage, next
        action) is decided first and written in one UPDATE, then the contacts go out."""
        Event = self.env["collection.event"]
        events = []
        by_level = defaultdict(lambda: self.browse())
        for case, (level, jumped) in levels.items():
            by_level[level] |= case
            if jumped:
                events.append(
                    case._event_vals(
                        self.env._(
                            "Levels not sent: %(skipped)s. %(level)s was already due",
                            skipped=", ".join(jumped_level.name for jumped_level in jumped),
                            level=level.name,
                        ),
                        state="skipped",
                        reason=self.env._("Jumped to a later level"),
                        reason_code="jumped",
                        level_id=False,
                    )
                )
        cases = self.browse([case.id for case in levels])
        reminded = self.env["collection.stage"]._get_by_code("reminded")
        stages = {
            case.id: stage
            for case, (level, _jumped) in levels.items()
            if (stage := case._stage_after_level(level, reminded))
        }
        self.env.cache.update(cases, self._fields["level_id"], [levels[case][0].id for case in cases])
        # one event per case for the level and the stage it moves the case to
        for case in cases:
            level = levels[case][0]
            name = (
                self.env._(
                    "Level %(level)s executed: stage moved from %(old)s to %(new)s",
                    level=level.name,
                    old=case.stage_id.name,
                    new=stages[case.id].name,
                )
                if case.id in stages
                else self.env._("Level %s executed", level.name)
            )
            events.append(case._event_vals(name, level_id=level.id))
        # the next level follows the stage the level moves the case to (none at an agency)
        self.env.cache.update(
            cases, self._fields["stage_id"], [(stages.get(case.id) or case.stage_id).id for case in cases]
        )
        next_values = cases._next_action_values()
        cases._write_engine_values(
            {
                case.id: {
                    "level_id": levels[case][0].id,
                    "last_action_date": today,
                    "stage_id": stages[case.id].id if case.id in stages else case.stage_id.id,
                    "next_level_id": case.next_level_id.id,
                    "next_action_date": case.next_action_date,
                }
                | next_values.get(case.id, {})
                for case in cases
            }
        )
        activities = []
        with cases._event_bases():
            for level, level_cases in by_level.items():
                # the whole batch is read together, whichever level a case runs
                level_cases = level_cases.with_prefetch(self._prefetch_ids)
                events += level_cases._execute_level(level, today, counts)
                if level.create_activity:
                    if level.activity_type_id.category == "phonecall":
                        # a call is a contact: not for customers who opted out of calls
                        level_cases, skipped = level_cases._contact_split("call", level, counts)
                        events += skipped
                    activities.append((level, level_cases))
        cases._schedule_level_activities(activities, today)
        Event._log(events)

    def _execute_level(self, level, today, counts):
        """Run one level on cases that all reached it; returns the event values to log."""
        events = []
        for case in self:
            events += case._excluded_invoice_events(level)
        if level.send_email:
            events += self._send_level_email(level, counts)
        if level.send_letter:
            events += self._queue_letters(level, counts)
        events += self._execute_level_channels(level, today, counts)
        if level.fee_amount or level.interest:
            events += self._charge_fees_and_interest(level, today)
        return events

    def _stage_after_level(self, level, reminded):
        """The stage this case moves to when the level runs, or None: the level's stage moves
        cases still at New or Reminded; a level without one moves New to ``reminded``."""
        self.ensure_one()
        stage = level.stage_id or reminded
        movable = ("new", "reminded") if level.stage_id else ("new",)
        current = self.stage_id
        if current.code in movable and current != stage:
            return stage
        return None

    def _write_engine_values(self, values_by_case):
        """Write the engine's own fields (level, stage, dates) of many cases in one UPDATE.

        No chatter tracking: each of these changes is an event of the collections log, which
        is the case's history. ``values_by_case``: {case id: {field: value}}, same fields for all.
        """
        if values_by_case:
            self.env.flush_all()
            bulk_update(self, values_by_case)

    def _execute_level_channels(self, level, today, counts):
        """Hook for channel addons (SMS...): execute their part of the level, return event values."""
        return []

    def _contact_split(self, channel, level, counts):
        """Split cases into those reachable on the channel and skip events for the others."""
        reachable, events = self.browse(), []
        for case in self:
            blocked = case._channel_block_reason(channel)
            if blocked:
                code, reason = blocked
                counts["skipped"] += 1
                events.append(
                    case._event_vals(
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

    def _send_level_email(self, level, counts):
        """Queue the level's reminder email of each reachable case as a log event.

        The run only decides who is emailed; ``collection.event._dispatch_emails`` renders the
        queued reminders and hands them to Odoo's mail queue, batch by batch, right after the run
        (cron *Collections: render queued reminders*, triggered by the run).
        """
        reachable, events = self._contact_split("email", level, counts)
        for case in reachable:
            counts["queued"] += 1
            events.append(
                case._event_vals(
                    self.env._("%(level)s: email", level=level.name),
                    channel="email",
                    state="queued",
                    level_id=level.id,
                    invoice_ids=[Command.set(case._dunned_invoices().ids)],
                )
            )
        return events

    def _ensure_invoice_access_tokens(self):
        """Give the open invoices their portal token in one UPDATE, before the reminders link to them
        (the portal would otherwise write them one invoice at a time while rendering)."""
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE account_move SET access_token = gen_random_uuid()::text
                 WHERE collection_case_id = ANY(%s) AND access_token IS NULL AND state = 'posted'
                """,
                self.ids,
            )
        )
        self.env["account.move"].invalidate_model(["access_token"])

    def _attach_invoice_pdfs(self, mail_by_case):
        """Attach each dunned invoice's PDF to its reminder (the stored one when Odoo has it)."""
        for case_id, mail in mail_by_case.items():
            attachments = self.env["ir.attachment"]
            for invoice in self.browse(case_id)._dunned_invoices().filtered(lambda m: m.move_type == "out_invoice"):
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

    def _queue_letters(self, level, counts):
        reachable, events = self._contact_split("letter", level, counts)
        for case in reachable:
            counts["queued"] += 1
            events.append(
                case._event_vals(
                    self.env._("%(level)s: letter to print", level=level.name),
                    channel="letter",
                    state="queued",
                    level_id=level.id,
                    invoice_ids=[(6, 0, case._dunned_invoices().ids)],
                )
            )
        return events

    def _schedule_level_activities(self, level_cases, today):
        """Schedule each level's activity on its cases for their collector, who follows the case.

        What ``activity_schedule`` creates, in two statements for the whole batch
        (``level_cases``: [(level, cases)]). The collectors find the activities in their queue:
        no assignment email per activity.
        """
        rows = []  # (case, level, user)
        for level, cases in level_cases:
            for case in cases:
                rows.append((case, level, case.user_id or case.partner_id.collection_user_id or self.env.user))
        if not rows:
            return
        cases = self.browse([case.id for case, _level, _user in rows])
        subtypes = self.env["mail.message.subtype"].default_subtypes(self._name)[0]
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                                           note, date_deadline, user_id, user_tz, automated, active,
                                           create_uid, create_date, write_uid, write_date)
                SELECT %(model_id)s, %(model)s, v.res_id, c.name || ' - ' || cp.complete_name, v.type_id, v.summary,
                       v.note, %(deadline)s, v.user_id, p.tz, TRUE, TRUE,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(res_ids)s::int[], %(types)s::int[], %(summaries)s::varchar[],
                              %(notes)s::text[], %(users)s::int[])
                       AS v(res_id, type_id, summary, note, user_id)
                  JOIN collection_case c ON c.id = v.res_id
                  JOIN res_partner cp ON cp.id = c.partner_id
                  JOIN res_users u ON u.id = v.user_id
                  JOIN res_partner p ON p.id = u.partner_id
                """,
                model_id=self.env["ir.model"]._get_id(self._name),
                model=self._name,
                deadline=today,
                uid=self.env.uid,
                res_ids=cases.ids,
                types=[level.activity_type_id.id or None for _case, level, _user in rows],
                summaries=[level.activity_summary or level.name for _case, level, _user in rows],
                notes=[level.activity_type_id.default_note or None for _case, level, _user in rows],
                users=[user.id for _case, _level, user in rows],
            )
        )
        # the collector follows the case, with the default subtypes, as message_subscribe does
        self.env.execute_query(
            SQL(
                """
                WITH new AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT %(model)s, v.res_id, u.partner_id FROM unnest(%(res_ids)s::int[], %(users)s::int[])
                           AS v(res_id, user_id)
                      JOIN res_users u ON u.id = v.user_id
                    ON CONFLICT DO NOTHING RETURNING id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
                SELECT new.id, s.id FROM new, unnest(%(subtypes)s::int[]) AS s(id)
                """,
                model=self._name,
                res_ids=cases.ids,
                users=[user.id for _case, _level, user in rows],
                subtypes=subtypes.ids,
            )
        )
        self.env["mail.activity"].invalidate_model()
        self.env["mail.followers"].invalidate_model()
        cases.invalidate_recordset(
            [
                name
                for name, field in self._fields.items()
                if name.startswith(("activity_", "message_", "my_activity_")) and not field.store
            ]
        )
        if today <= fields.Date.today():
            # the collectors' activity counters refresh once per transaction, not once per batch
            users = self.env.cr.precommit.data.setdefault(_ACTIVITY_USERS, set())
            if not users:
                self.env.cr.precommit.add(self._notify_activity_users)
            users.update(user.id for _case, _level, user in rows)

    def _notify_activity_users(self):
        user_ids = self.env.cr.precommit.data.pop(_ACTIVITY_USERS, set())
        self.env["res.users"].browse(user_ids)._bus_send("mail.activity/updated", {"activity_created": True})

    def _excluded_invoice_events(self, level):
        """Skip events for the open invoices this level leaves out: excluded or time-barred."""
        self.ensure_one()
        if len(self.open_invoice_ids) == len(self.dunning_invoice_ids):
            return []  # every open invoice is dunned: nothing left out
        events = []
        excluded = self.open_invoice_ids - self.dunning_invoice_ids
        blocked = excluded.filtered("collection_blocked")
        held = excluded.filtered("collection_hold") - blocked
        for code, invoices, reason in (
            ("blocked", blocked, self.env._("Invoice excluded from dunning")),
            ("disputed", held.filtered(lambda m: m.collection_hold == "dispute"), self.env._("Invoice disputed")),
            ("promised", held.filtered(lambda m: m.collection_hold == "promise"), self.env._("Promise to pay open")),
            ("plan", held.filtered(lambda m: m.collection_hold == "plan"), self.env._("Covered by a payment plan")),
            ("time_barred", excluded - blocked - held, self.env._("Invoice time-barred")),
            (
                "settlement",
                held.filtered(lambda m: m.collection_hold == "settlement"),
                self.env._("Settlement offer standing"),
            ),
        ):
            if invoices:
                events.append(
                    self._event_vals(
                        self.env._(
                            "%(level)s: %(invoices)s left out",
                            level=level.name,
                            invoices=", ".join(invoices.mapped("name")),
                        ),
                        state="skipped",
                        reason=reason,
                        reason_code=code,
                        level_id=level.id,
                        invoice_ids=[Command.set(invoices.ids)],
                    )
                )
        return events

    def _dunned_invoices(self):
        self.ensure_one()
        return self.dunning_invoice_ids

    # ------------------------------------------------------------------ fees and interest
    def _charge_fees_and_interest(self, level, today):
        """Invoice the level's late fee and statutory interest, one charge invoice per case.

        Interest is simple and daily on each overdue invoice's open amount, from its due date
        (or the end of the last period charged) to today, so no period is ever charged twice.
        """
        events, vals_list, charged = [], [], []
        for case in self:
            company = case.company_id
            lines, interest_invoices = [], self.env["account.move"]
            missing = (level.fee_amount and not company.collection_fee_product_id) or (
                level.interest and not company.collection_interest_product_id
            )
            if missing:
                events.append(
                    case._event_vals(
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
                for invoice, name, amount in case._statutory_interest_lines(today):
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
            moves = self.env["account.move"].with_context(collection_no_refresh=True).create(vals_list)
            moves.with_context(collection_no_refresh=True).action_post()
            for (case, interest_invoices), move in zip(charged, moves, strict=True):
                interest_invoices.write({"collection_interest_date": today, "collection_compensation_charged": True})
                events.append(
                    case._event_vals(
                        self.env._("%(level)s: %(invoice)s charged", level=level.name, invoice=move.name),
                        level_id=level.id,
                        invoice_ids=[Command.set(move.ids)],
                    )
                )
        return events

    def _statutory_interest_lines(self, today):
        """(invoice, label, amount) of interest and fixed compensation due on the overdue invoices."""
        self.ensure_one()
        company = self.company_id
        rate = company.collection_reference_rate + company.collection_interest_margin
        lines = []
        for invoice in self._dunned_invoices():
            if invoice.move_type != "out_invoice" or invoice.collection_is_charge or invoice.invoice_date_due >= today:
                continue
            start = max(invoice.invoice_date_due, invoice.collection_interest_date or invoice.invoice_date_due)
            days = (today - start).days
            interest = self.currency_id.round(invoice.amount_residual * rate / 100.0 * days / 365.0)
            if days > 0 and interest > 0:
                label = self.env._(
                    "Interest on %(invoice)s: %(amount)s at %(rate)s%% for %(days)s days (%(start)s to %(end)s)",
                    invoice=invoice.name,
                    amount=self.currency_id.round(invoice.amount_residual),
                    rate=round(rate, 2),
                    days=days,
                    start=start,
                    end=today,
                )
                lines.append((invoice, label, interest))
            if not invoice.collection_compensation_charged:
                compensation = self._fixed_compensation(invoice, today)
                if compensation:
                    label = self.env._("Fixed recovery compensation for %(invoice)s", invoice=invoice.name)
                    lines.append((invoice, label, compensation))
        return lines

    def _fixed_compensation(self, invoice, today):
        """EU: 40 EUR per invoice. UK: 40, 70 or 100 GBP for debts under 1,000, under 10,000, or more."""
        company = self.company_id
        if company.collection_interest_regime == "uk":
            currency = self.env.ref("base.GBP")
            debt = invoice.currency_id._convert(invoice.amount_residual, currency, company, today)
            amount = 40.0 if debt < 1000 else 70.0 if debt < 10000 else 100.0
        elif company.collection_interest_regime == "eu":
            currency, amount = self.env.ref("base.EUR"), 40.0
        else:
            return 0.0
        return currency._convert(amount, self.currency_id, company, today)
