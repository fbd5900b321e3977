from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.account_collections_sms.models.sms_segments import sms_encoding, sms_segments
from odoo.addons.sms.tests.common import SMSCase

DUE = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestSmsEngine(CollectionsCommon, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.template = cls.env.ref("account_collections_sms.sms_template_collection_reminder")
        cls.sms_policy = cls.env["collection.policy"].create(
            {
                "name": "SMS policy",
                "company_id": cls.company.id,
                "level_ids": [
                    (
                        0,
                        0,
                        cls._level_vals(
                            "Text", 10, create_activity=False, send_sms=True, sms_template_id=cls.template.id
                        ),
                    ),
                ],
            }
        )

    def _debtor(self, name, mobile, country, **vals):
        partner = self._customer(name, mobile=mobile, country_id=self.env.ref(f"base.{country}").id, tz="UTC", **vals)
        partner.with_company(self.company).collection_policy_id = self.sms_policy
        with freeze_time("2026-02-01 10:00:00"):
            self._invoice(partner, (date(2026, 2, 1) - DUE).days, 120.0)
        return partner

    def _run(self, day=DUE + timedelta(days=10), hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"), self.mockSMSGateway():
            return self._run_collections(day)

    def _sms_events(self, partner):
        return self.env["collection.event"].search([("partner_id", "=", partner.id), ("channel", "=", "sms")])

    def test_numbers_are_normalised_to_e164_from_the_country(self):
        expected = {
            ("Fleur", "06 12 34 56 78", "fr"): "+33612345678",
            ("Bram", "0470 12 34 56", "be"): "+32470123456",
            ("Sam", "(212) 555-0147", "us"): "+12125550147",
            ("Gwen", "07911 123456", "uk"): "+447911123456",
        }
        partners = {key: self._debtor(*key) for key in expected}
        counts = self._run()
        self.assertEqual(counts["queued"], 4)
        for key, number in expected.items():
            self.assertSMSOutgoing(partners[key], number, content="is overdue on your account")
            self.assertEqual(self._sms_events(partners[key]).state, "queued")

    def test_fixed_line_and_invalid_numbers_are_skipped(self):
        landline = self._debtor("Landline", "01 42 68 53 00", "fr")
        invalid = self._debtor("Invalid", "12345", "fr")
        missing = self._debtor("Missing", False, "fr")
        counts = self._run()
        self.assertEqual((counts["queued"], counts["skipped"]), (0, 3))
        self.assertIn("is not a mobile number", self._sms_events(landline).reason)
        self.assertIn("Invalid mobile number", self._sms_events(invalid).reason)
        self.assertEqual(self._sms_events(missing).reason, "Customer has no mobile number")
        self.assertFalse(self._new_sms)

    def test_blacklisted_and_opted_out_numbers_are_skipped(self):
        stop = self._debtor("Stop", "06 12 34 56 78", "fr")
        self.env["phone.blacklist"].sudo().add("+33612345678")
        optout = self._debtor("Optout", "0470 12 34 56", "be", collection_sms_opt_out=True)
        self._run()
        self.assertEqual(self._sms_events(stop).reason, "Number blacklisted (STOP)")
        self.assertEqual(self._sms_events(optout).reason_code, "opt_out")
        self.assertFalse(self._new_sms)

    def test_outside_the_window_the_sms_waits_for_the_next_window(self):
        partner = self._debtor("Night", "06 12 34 56 78", "fr")
        counts = self._run(hour=22)
        self.assertEqual((counts["queued"], counts["skipped"]), (0, 1))
        self.assertFalse(self._sms_events(partner))
        counts = self._run(day=DUE + timedelta(days=11), hour=9)
        self.assertEqual(counts["queued"], 1)
        self.assertSMSOutgoing(partner, "+33612345678")

    def test_weekly_cap_is_shared_with_email(self):
        self.company.collection_weekly_cap = 1
        partner = self._debtor("Capped", "06 12 34 56 78", "fr")
        with freeze_time(f"{DUE + timedelta(days=9)} 10:00:00"):
            self.env["collection.case"].refresh_cases()
            case = self._case(partner)
            self.env["collection.event"].sudo().create(case._event_vals("Reminder", channel="email", state="sent"))
        counts = self._run()
        self.assertEqual((counts["queued"], counts["skipped"]), (0, 1))
        self.assertIn("Weekly contact cap", case.event_ids.filtered(lambda e: e.state == "skipped").reason)

    def test_segments_are_counted_by_encoding(self):
        self.assertEqual((sms_encoding("Pay now"), sms_segments("a" * 160), sms_segments("a" * 161)), ("gsm7", 1, 2))
        self.assertEqual(sms_segments("€" * 80), 1, "extended GSM characters count twice")
        self.assertEqual((sms_encoding("Zaplaťte"), sms_segments("ť" * 70), sms_segments("ť" * 71)), ("ucs2", 1, 2))

    def test_template_over_the_segment_limit_is_refused_on_the_level(self):
        long_template = self.env["sms.template"].create(
            {
                "name": "Too long",
                "model_id": self.env["ir.model"]._get_id("collection.case"),
                "body": "Please pay. " * 40,
            }
        )
        with self.assertRaisesRegex(ValidationError, "takes 4 segments, more than the 2 allowed"):
            self.env["collection.level"].create(
                {
                    "policy_id": self.sms_policy.id,
                    "name": "Long",
                    "delay_days": 40,
                    "send_sms": True,
                    "sms_template_id": long_template.id,
                }
            )

    def test_message_over_the_limit_at_send_time_is_not_sent(self):
        partner = self._debtor("Verbose", "06 12 34 56 78", "fr")
        self.company.collection_sms_max_segments = 1
        self.template.body = "{{ object.partner_id.name }} " + "x" * 160
        counts = self._run()
        self.assertEqual(counts["failed"], 1)
        self.assertIn("more than the 1 allowed", self._sms_events(partner).reason)
        self.assertFalse(self._new_sms)

    def test_delivery_failure_flows_back_to_the_event(self):
        partner = self._debtor("Unlucky", "06 12 34 56 78", "fr")
        self._run()
        event = self._sms_events(partner)
        with self.mockSMSGateway(sim_error="wrong_number_format"):
            self.env["sms.sms"].search([("number", "=", "+33612345678")])._send()
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.reason, "sms_number_format")

    def test_delivered_sms_marks_the_event_sent(self):
        partner = self._debtor("Lucky", "06 12 34 56 78", "fr")
        self._run()
        with self.mockSMSGateway():
            self.env["sms.sms"].search([("number", "=", "+33612345678")])._send()
        self.assertEqual(self._sms_events(partner).state, "sent")

    def test_manual_sms_refuses_a_case_in_legal(self):
        partner = self._debtor("Lawful", "06 12 34 56 78", "fr")
        lawyer = self.env["res.partner"].create({"name": "Maître Lex", "email": "lex@law.example.com"})
        with freeze_time(f"{DUE + timedelta(days=1)} 10:00:00"):
            self.env["collection.case"].refresh_cases()
            case = self._case(partner)
            case._legal_handover(lawyer)
            with self.mockSMSGateway(), self.assertRaisesRegex(UserError, "is Legal \\(Maître Lex\\)"):
                case.with_user(self.collector).action_send_sms()
        self.assertFalse(self._sms_events(partner))

    def test_manual_sms_uses_the_same_guards(self):
        partner = self._debtor("Manual", "01 42 68 53 00", "fr")
        with freeze_time(f"{DUE + timedelta(days=1)} 10:00:00"):
            self.env["collection.case"].refresh_cases()
            case = self._case(partner)
            with self.mockSMSGateway(), self.assertRaisesRegex(UserError, "not a mobile number"):
                case.action_send_sms()
        partner.mobile = "06 12 34 56 78"
        with freeze_time(f"{DUE + timedelta(days=1)} 23:00:00"), self.assertRaisesRegex(UserError, "contact window"):
            case.action_send_sms()
        with freeze_time(f"{DUE + timedelta(days=1)} 10:00:00"), self.mockSMSGateway():
            case.action_send_sms()
        self.assertSMSOutgoing(partner, "+33612345678")
