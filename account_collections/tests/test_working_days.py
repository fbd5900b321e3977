"""No contact on a day the company does not work: the weekends of its working calendar (unless
it allows them) and the calendar's public holidays, per company; collectors' activities due on
such a day move to the next working day."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 4)  # a Wednesday
SATURDAY = DUE + timedelta(days=10)  # the first level's day: 2026-03-14
MONDAY = SATURDAY + timedelta(days=2)
THURSDAY = date(2026, 3, 12)


@tagged("post_install", "-at_install")
class TestWorkingDays(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.company.resource_calendar_id.tz = "UTC"
        cls.company.collection_contact_weekends = False
        cls.reminders = cls._email_policy("Reminders", [("First", 10)])
        cls.customer = cls._debtor("Hotel Supplies", cls.company, cls.reminders, DUE)

    @classmethod
    def _debtor(cls, name, company, policy, due):
        partner = cls._customer(name, email=f"ap@{name.split()[0].lower()}.example.com", tz="UTC")
        partner.with_company(company).collection_policy_id = policy
        with freeze_time("2026-02-01 10:00:00"):
            cls._invoice(partner, (date(2026, 2, 1) - due).days, 500.0, company=company)
        return partner

    @classmethod
    def _holiday(cls, company, day, name="Public holiday"):
        return cls.env["resource.calendar.leaves"].create(
            {
                "name": name,
                "company_id": company.id,
                "calendar_id": company.resource_calendar_id.id,
                "date_from": datetime.combine(day, datetime.min.time()),
                "date_to": datetime.combine(day, datetime.max.time().replace(microsecond=0)),
            }
        )

    def _run(self, day, hour=10, dispatch=True):
        with freeze_time(f"{day} {hour:02d}:00:00"):
            if dispatch:
                return self._run_collections(day)
            return self.env["collection.case"].run_collections(date=str(day))

    def _events(self, partner, company=None, **filters):
        domain = [("case_id", "=", self._case(partner, company).id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    def test_a_weekend_contact_waits_for_monday_logged_once(self):
        counts = self._run(SATURDAY)
        self.assertEqual((counts["queued"], counts["skipped"]), (0, 1), "no reminder on a Saturday")
        case = self._case(self.customer)
        skip = self._events(self.customer, reason_code="non_working_day")
        self.assertEqual(skip.state, "skipped")
        self.assertIn("deferred to 2026-03-16, the next working day", skip.reason)
        self.assertEqual(case.next_action_date, MONDAY, "retried on the next working day")
        self.assertFalse(case.level_id, "the level did not run")
        self._run(SATURDAY, hour=15)
        self._run(SATURDAY + timedelta(days=1))
        self.assertEqual(len(self._events(self.customer, reason_code="non_working_day")), 1, "logged once")
        counts = self._run(MONDAY)
        self.assertEqual(counts["queued"], 1, "sent on Monday")
        self.assertEqual(case.level_id.name, "First")
        reminder = self._events(self.customer, channel="email", level_id=case.level_id.id)
        self.assertTrue(reminder.mail_mail_id)

    def test_weekends_allowed_but_never_a_public_holiday(self):
        self.company.collection_contact_weekends = True
        self._holiday(self.company, SATURDAY)
        counts = self._run(SATURDAY)
        self.assertEqual(counts["skipped"], 1, "a public holiday on a Saturday is not a contact day")
        self.assertEqual(self._case(self.customer).next_action_date, SATURDAY + timedelta(days=1))
        counts = self._run(SATURDAY + timedelta(days=1))
        self.assertEqual(counts["queued"], 1, "weekends allowed: sent on the Sunday")

    def test_each_company_follows_its_own_calendar(self):
        other = self.setup_other_company(name="Calendar Co")["company"]
        other.partner_id.tz = "UTC"
        other.resource_calendar_id.tz = "UTC"
        self.assertNotEqual(other.resource_calendar_id, self.company.resource_calendar_id)
        other_policy = self._email_policy("Other reminders", [("First", 10)], company=other)
        due = THURSDAY - timedelta(days=10)
        ours = self._debtor("India Traders", self.company, self.reminders, due)
        theirs = self._debtor("Juliet Traders", other, other_policy, due)
        self._holiday(self.company, THURSDAY)
        self._holiday(other, THURSDAY + timedelta(days=1))
        self._run(THURSDAY)
        self.assertEqual(self._events(ours, reason_code="non_working_day").state, "skipped", "our holiday")
        self.assertEqual(self._case(ours).next_action_date, THURSDAY + timedelta(days=1))
        self.assertEqual(self._case(theirs, other).level_id.name, "First", "not the other company's holiday")
        self._run(THURSDAY + timedelta(days=1))
        self.assertEqual(self._case(ours).level_id.name, "First", "sent the day after our holiday")
        self.assertFalse(self._events(theirs, other, reason_code="non_working_day"))

    def test_the_dispatch_keeps_a_reminder_queued_on_a_holiday(self):
        customer = self._debtor("Lima Traders", self.company, self.reminders, THURSDAY - timedelta(days=10))
        self._run(THURSDAY, dispatch=False)
        case = self._case(customer)
        reminder = self._events(customer, channel="email", state="queued")
        self.assertTrue(reminder, "queued on Thursday, the dispatch not run yet")
        self._holiday(self.company, THURSDAY + timedelta(days=1))
        with freeze_time(f"{THURSDAY + timedelta(days=1)} 10:00:00"):
            self.env["collection.event"].sudo()._dispatch_emails()
        self.assertEqual(reminder.state, "queued")
        self.assertFalse(reminder.mail_mail_id, "not sent on the holiday")
        with freeze_time(f"{MONDAY} 10:00:00"):
            self.env["collection.event"].sudo()._dispatch_emails()
        self.assertEqual(reminder.state, "queued")
        self.assertTrue(reminder.mail_mail_id, "sent on the next working day")
        self.assertEqual(case.level_id.name, "First")

    def test_an_activity_due_on_a_non_working_day_moves_to_the_next_one(self):
        self._holiday(self.company, MONDAY)
        self._run(THURSDAY)  # opens the case
        case = self._case(self.customer)
        with freeze_time(f"{THURSDAY} 10:00:00"):
            case.with_user(self.collector).action_log_call("no_answer", follow_up_date=str(SATURDAY))
        self.assertEqual(
            case.activity_ids.date_deadline, MONDAY + timedelta(days=1), "Saturday, Sunday and the holiday skipped"
        )
        self.assertEqual(case.activity_ids.activity_type_id, self.activity_call)

    def test_the_engine_s_call_activity_is_due_on_a_working_day(self):
        self.company.collection_contact_weekends = True
        calls = self.env["collection.policy"].create(
            {"name": "Calls", "company_id": self.company.id, "level_ids": [(0, 0, self._level_vals("Call", 10))]}
        )
        self.customer.with_company(self.company).collection_policy_id = calls
        self._run(SATURDAY)
        activity = self._case(self.customer).activity_ids
        self.assertEqual(activity.activity_type_id, self.activity_call)
        self.assertEqual(activity.date_deadline, SATURDAY, "weekends allowed: due on the Saturday")
        # the same on a company that does not contact on weekends is deferred, not due on Saturday
        self.company.collection_contact_weekends = False
        other = self._debtor("Kilo Traders", self.company, calls, DUE)
        self._run(SATURDAY)
        self.assertFalse(self._case(other).activity_ids)
        self._run(MONDAY)
        self.assertEqual(self._case(other).activity_ids.date_deadline, MONDAY)
