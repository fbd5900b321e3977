from datetime import date, datetime, time, timedelta

import pytz

# how far ahead the next working day is looked for (a calendar with no working day at all)
WORKING_DAYS_HORIZON = 60
# a calendar without attendances (flexible hours): Monday to Friday
_DEFAULT_WEEKDAYS = frozenset(range(5))


class WorkingDays:
    """The company's working days: its working calendar (``resource_calendar_id``: the weekdays
    it has attendances on) and the calendar's public holidays (``resource.calendar.leaves`` with no
    resource). The engine contacts customers on working days only; a company may allow weekends
    (``collection_contact_weekends``), never its public holidays. Days in levels stay calendar days.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _working_day_rules(self, companies, start, memo=None):
        """{company: (working weekdays, public holiday dates, weekends allowed)} from ``start`` on,
        one query per company for its holidays; kept in ``memo`` (a run's ``working_days``) for the
        next batches of the run."""
        key = (frozenset(companies.ids), start)
        if memo is not None and key in memo:
            return memo[key]
        rules = {}
        # (a far date, such as a follow-up on 9999-12-31, looks no further than the calendar goes)
        end = start + timedelta(days=min(WORKING_DAYS_HORIZON, (date.max - start).days))
        Leave = self.env["resource.calendar.leaves"].sudo()
        for company in companies:
            calendar = company.resource_calendar_id
            weekdays = frozenset(int(day) for day in calendar.attendance_ids.mapped("dayofweek")) or _DEFAULT_WEEKDAYS
            tz = pytz.timezone(calendar.tz or company.partner_id.tz or "UTC")
            leaves = Leave.search(
                [
                    ("resource_id", "=", False),
                    ("time_type", "=", "leave"),
                    ("company_id", "in", [company.id, False]),
                    ("calendar_id", "in", [calendar.id, False] if calendar else [False]),
                    ("date_from", "<", datetime.combine(end, time.max)),
                    ("date_to", ">", datetime.combine(start - timedelta(days=1), time.min)),
                ]
            )
            holidays = set()
            for leave in leaves:
                first = pytz.utc.localize(leave.date_from).astimezone(tz).date()
                # a holiday ending at midnight does not take the next day
                last = (pytz.utc.localize(leave.date_to).astimezone(tz) - timedelta(seconds=1)).date()
                holidays.update(first + timedelta(days=n) for n in range((last - first).days + 1))
            rules[company] = (weekdays, frozenset(holidays), company.collection_contact_weekends)
        if memo is not None:
            memo[key] = rules
        return rules

    def _is_working_day(self, rules, company, day):
        """Whether the company contacts its customers on ``day`` (``rules``: ``_working_day_rules``)."""
        weekdays, holidays, weekends = rules[company]
        return day not in holidays and (weekends or day.weekday() in weekdays)

    def _next_working_day(self, rules, company, day):
        """``day`` if it is a working day of the company, else the next one."""
        for offset in range(min(WORKING_DAYS_HORIZON, (date.max - day).days) + 1):
            candidate = day + timedelta(days=offset)
            if self._is_working_day(rules, company, candidate):
                return candidate
        return day

    def _working_deadlines(self, company_days, memo=None):
        """{(company, day): the working day an activity due on ``day`` is due on} for the pairs of
        ``company_days``: a due date on a weekend or a public holiday moves to the next working day."""
        if not company_days:
            return {}
        companies = self.env["res.company"].browse({company.id for company, _day in company_days})
        rules = self._working_day_rules(companies, min(day for _company, day in company_days), memo=memo)
        return {(company, day): self._next_working_day(rules, company, day) for company, day in company_days}
