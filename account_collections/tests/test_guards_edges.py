"""Engine rules the other tests did not reach: manual levels, the edges of the contact window and
its time zone fallback, the letter and call opt-outs."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday


@tagged("post_install", "-at_install")
class TestGuardsEdges(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write({"collection_window_start": 8.0, "collection_window_end": 21.0})
        cls.company.partner_id.tz = "UTC"
        template = cls.env.ref("account_collections.mail_template_collection_reminder")
        email = {"send_email": True, "mail_template_id": template.id, "create_activity": False}
        cls.guard_policy = cls.env["collection.policy"].create(
            {
                "name": "Guarded policy",
                "company_id": cls.company.id,
                "level_ids": [
                    Command.create(cls._level_vals("First", 10, **email)),
                    # a level the collector decides on: never run by the engine on its own
                    Command.create(cls._level_vals("Manual review", 20, auto_execute=False, **email)),
                    Command.create(cls._level_vals("Letter", 30, send_letter=True, **email)),
                    Command.create(cls._level_vals("Call", 40)),  # create_activity with the call type
                ],
            }
        )
        cls.customer = cls._customer("Echo Supplies", email="ap@echo.example.com", tz="UTC")
        cls.customer.with_company(cls.company).collection_policy_id = cls.guard_policy
        with freeze_time("2026-02-01 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 1000.0)

    def _run(self, day, at="10:00"):
        with freeze_time(f"{day} {at}:00"):
            return self._run_collections(day)

    def _events(self, **filters):
        domain = [("case_id", "=", self._case(self.customer).id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    # ------------------------------------------------------------------ manual levels
    def test_manual_level_waits_for_the_collector(self):
        counts = self._run(DUE + timedelta(days=35))
        case = self._case(self.customer)
        self.assertEqual(case.level_id.name, "First", "a manual level stops the jump to later levels")
        self.assertEqual(counts["cases"], 1)
        self.assertEqual(case.next_level_id.name, "Manual review")
        self.assertEqual(self._run(DUE + timedelta(days=36))["cases"], 0, "the engine never runs a manual level")
        self.assertEqual(self._run(DUE + timedelta(days=45))["cases"], 0)
        self.assertEqual(case.level_id.name, "First")
        with freeze_time(f"{DUE + timedelta(days=45)} 10:00:00"):
            case.with_user(self.collector).action_send_next_reminder()
        self.assertEqual(case.level_id.name, "Manual review", "the collector's click runs it")
        self.assertFalse(self._events(reason_code="jumped"), "and runs it alone, jumping nothing")
        self._run(DUE + timedelta(days=45))
        self.assertEqual(case.level_id.name, "Call", "after it, the automatic levels go on")
        self.assertIn("Letter", self._events(reason_code="jumped").name)

    # ------------------------------------------------------------------ contact window
    def test_contact_window_opens_at_its_start(self):
        day = DUE + timedelta(days=10)
        counts = self._run(day, at="07:59")
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0), "one minute before the window")
        self.assertEqual(self._case(self.customer).next_action_date, day, "retried the same day")
        self.assertIn("Outside the contact window (08:00-21:00, UTC)", self._events(reason_code="window").reason)
        counts = self._run(day, at="08:00")
        self.assertEqual((counts["skipped"], counts["queued"]), (0, 1), "the window opens at 08:00 sharp")

    def test_contact_window_closes_at_its_end(self):
        day = DUE + timedelta(days=10)
        counts = self._run(day, at="21:00")
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0), "21:00 is outside the window")
        self.assertEqual(self._case(self.customer).next_action_date, day + timedelta(days=1), "retried tomorrow")
        counts = self._run(day + timedelta(days=1), at="20:59")
        self.assertEqual((counts["skipped"], counts["queued"]), (0, 1), "20:59 is inside")

    def test_contact_window_falls_back_to_the_company_time_zone(self):
        self.customer.tz = False
        self.company.partner_id.tz = "Asia/Tokyo"  # UTC+9
        day = DUE + timedelta(days=10)
        counts = self._run(day, at="12:30")  # 21:30 in Tokyo
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0))
        self.assertIn("(08:00-21:00, Asia/Tokyo)", self._events(reason_code="window").reason)
        self.assertEqual(self._case(self.customer).next_action_date, day + timedelta(days=1))
        counts = self._run(day + timedelta(days=1), at="01:00")  # 10:00 in Tokyo
        self.assertEqual((counts["skipped"], counts["queued"]), (0, 1))

    def test_contact_window_in_utc_without_any_time_zone(self):
        self.customer.tz = False
        self.company.partner_id.tz = False
        counts = self._run(DUE + timedelta(days=10), at="21:30")
        self.assertEqual(counts["skipped"], 1)
        self.assertIn("(08:00-21:00, UTC)", self._events(reason_code="window").reason)

    # ------------------------------------------------------------------ opt-outs
    def test_letter_opt_out_skips_the_letter_only(self):
        self.customer.collection_letter_opt_out = True
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        with freeze_time(f"{DUE + timedelta(days=30)} 10:00:00"):
            case.with_user(self.collector).action_send_next_reminder()  # the manual level
        self._run(DUE + timedelta(days=30))
        self.assertEqual(case.level_id.name, "Letter")
        letter = self._events(channel="letter")
        self.assertEqual(
            (letter.state, letter.reason_code, letter.reason), ("skipped", "opt_out", "Customer opted out of letter")
        )
        emails = self._events(channel="email", level_id=case.level_id.id)
        self.assertEqual(emails.state, "queued", "the level's email still goes")

    def _to_the_call_level(self, customer):
        """First by the engine, the manual level by the collector, then the engine jumps to the call."""
        self._run(DUE + timedelta(days=10))
        case = self._case(customer)
        with freeze_time(f"{DUE + timedelta(days=20)} 10:00:00"):
            case.with_user(self.collector).action_send_next_reminder()
        self._run(DUE + timedelta(days=40))
        self.assertEqual(case.level_id.name, "Call", "the level runs")
        return case

    def test_call_opt_out_schedules_no_call(self):
        self.customer.collection_call_opt_out = True
        case = self._to_the_call_level(self.customer)
        self.assertFalse(case.activity_ids, "no call is scheduled for a customer who opted out of calls")
        call = self._events(channel="call")
        self.assertEqual(
            (call.state, call.reason_code, call.reason), ("skipped", "opt_out", "Customer opted out of call")
        )

    def test_without_call_opt_out_the_collector_gets_the_call(self):
        case = self._to_the_call_level(self.customer)
        self.assertEqual(case.activity_ids.activity_type_id, self.activity_call)
        self.assertFalse(self._events(channel="call"))
