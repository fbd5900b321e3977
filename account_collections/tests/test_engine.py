import re
import smtplib
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday


@tagged("post_install", "-at_install")
class TestEngine(CollectionsCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.template = cls.env.ref("account_collections.mail_template_collection_reminder")
        email = {"send_email": True, "mail_template_id": cls.template.id, "create_activity": False}
        cls.engine_policy = cls.env["collection.policy"].create(
            {
                "name": "Engine policy",
                "company_id": company.id,
                "level_ids": [
                    (0, 0, cls._level_vals("Soon due", -3, **email)),
                    (0, 0, cls._level_vals("First", 10, **email)),
                    (0, 0, cls._level_vals("Second", 30, send_letter=True, **email)),
                    (0, 0, cls._level_vals("Final", 60, create_activity=True)),
                ],
            }
        )
        company.partner_id.tz = "UTC"
        cls.customer = cls._customer("Golf Traders", email="ap@golf.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.engine_policy
        with freeze_time("2026-02-01 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 1000.0)

    def _run(self, day, hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"):
            return self._run_collections(day)

    def _refresh_at(self, day):
        with freeze_time(f"{day} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=day).refresh_cases()
        return self._case()

    def _case(self, partner=None, company=None):
        return super()._case(partner or self.customer, company)

    def _events(self, **filters):
        domain = [("case_id", "=", self._case().id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    def test_levels_run_on_their_day_and_only_once(self):
        self.assertEqual(self._run(DUE - timedelta(days=4))["queued"], 0, "pre-due level not yet")
        counts = self._run(DUE - timedelta(days=3))
        self.assertEqual(counts, {"cases": 1, "sent": 0, "queued": 1, "skipped": 0, "failed": 0})
        case = self._case()
        self.assertEqual(case.level_id.name, "Soon due")
        self.assertEqual(self._run(DUE - timedelta(days=3))["cases"], 0, "re-running the same day sends nothing")
        self.assertEqual(self._run(DUE + timedelta(days=9))["cases"], 0)
        self._run(DUE + timedelta(days=10))
        self.assertEqual(case.level_id.name, "First")
        self.assertEqual(case.stage_id.code, "reminded")
        self.assertEqual(self.invoice.collection_level_id.name, "First")
        self.assertEqual(self.invoice.collection_last_date, DUE + timedelta(days=10))
        self._run(DUE + timedelta(days=30))
        self.assertEqual(case.level_id.name, "Second")
        letter = self._events(channel="letter")
        self.assertEqual((letter.state, letter.invoice_ids), ("queued", self.invoice))
        self._run(DUE + timedelta(days=60))
        self.assertEqual(case.level_id.name, "Final")
        activity = case.activity_ids
        self.assertEqual(activity.activity_type_id, self.activity_call)
        self.assertFalse(case.next_level_id, "no level left after the final one")
        emails = self._events(channel="email")
        self.assertEqual(len(emails), 3)
        self.assertEqual(set(emails.mapped("state")), {"queued"})
        self.assertEqual(len(emails.mail_mail_id), 3)

    def test_level_activity_goes_to_the_collector_who_follows_the_case(self):
        case = self._refresh_at(DUE + timedelta(days=60))
        case.user_id = self.collector
        self._run(DUE + timedelta(days=60))
        activity = case.activity_ids
        self.assertEqual(
            (activity.user_id, activity.activity_type_id, activity.date_deadline, activity.res_name),
            (self.collector, self.activity_call, DUE + timedelta(days=60), case.display_name),
        )
        self.assertIn(self.collector.partner_id, case.message_partner_ids, "the collector follows the case")
        follower = case.message_follower_ids.filtered(lambda f: f.partner_id == self.collector.partner_id)
        self.assertIn(self.env.ref("mail.mt_comment"), follower.subtype_ids, "with the default subtypes")

    def test_email_is_queued_with_open_items_and_pay_link(self):
        self._run(DUE + timedelta(days=10))
        mail = self._events(channel="email").mail_mail_id
        self.assertEqual(mail.state, "outgoing", "queued in Odoo's mail queue, not sent inside the run")
        self.assertIn(self.customer, mail.recipient_ids)
        self.assertIn(self.invoice.name, mail.body_html)
        pay_link = re.search(r'/r/(\w+)/c/\d+/\w+">Pay online', mail.body_html)
        self.assertTrue(pay_link, "the pay link goes through the link tracker")
        tracker = self.env["link.tracker.code"].search([("code", "=", pay_link.group(1))]).link_id
        self.assertIn(f"/my/invoices/{self.invoice.id}?access_token=", tracker.url)
        self.assertIn("past due", mail.body_html)
        self.assertIn(mail.mail_message_id, self._case().message_ids, "logged in the case's chatter")

    def test_email_is_rendered_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self._run(DUE + timedelta(days=10))
        mail = self._events(channel="email").mail_mail_id
        # French dates: 02/03/2026 for 2 March (English would print 03/02/2026)
        self.assertIn("02/03/2026", mail.body_html)

    def test_sent_and_failed_emails_flow_back_to_the_log(self):
        self._run(DUE + timedelta(days=10))
        sent = self._events(channel="email")
        with self.mock_mail_gateway():
            sent.mail_mail_id.send()
        self.assertEqual(sent.state, "sent")
        self._run(DUE + timedelta(days=30))
        failed = self._events(channel="email") - sent
        self.assertEqual((failed.state, failed.level_id.name), ("queued", "Second"))
        refused = smtplib.SMTPRecipientsRefused({"ap@golf.example.com": (550, b"mailbox unavailable")})
        with (
            self.mock_mail_gateway(),
            patch.object(type(self.env["ir.mail_server"]), "send_email", side_effect=refused),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            failed.mail_mail_id.send()
        self.assertEqual(failed.mail_mail_id.state, "exception")
        self.assertEqual(failed.state, "failed", "the delivery failure is on the log")
        self.assertIn("mailbox unavailable", failed.reason)
        self.assertEqual(sent.state, "sent", "the earlier email keeps its outcome")

    def test_several_due_levels_run_the_highest_and_log_the_jumped(self):
        self._run(DUE + timedelta(days=35))
        case = self._case()
        self.assertEqual(case.level_id.name, "Second")
        jumped = self._events(state="skipped")
        self.assertEqual(
            (jumped.name, jumped.reason, jumped.reason_code),
            ("Levels not sent: Soon due, First. Second was already due", "Jumped to a later level", "jumped"),
            "one event names every level jumped",
        )
        self.assertEqual(len(self._events(channel="email")), 1, "one email, not three")

    def test_outside_the_contact_window_is_deferred_then_sent(self):
        counts = self._run(DUE + timedelta(days=10), hour=22)
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0))
        skip = self._events(state="skipped")
        self.assertIn("Outside the contact window (08:00-21:00, UTC)", skip.reason)
        self.assertEqual(self._case().next_action_date, DUE + timedelta(days=11))
        self._run(DUE + timedelta(days=10), hour=23)
        self.assertEqual(len(self._events(state="skipped")), 1, "a deferral is logged once a day")
        counts = self._run(DUE + timedelta(days=11), hour=9)
        self.assertEqual(counts["queued"], 1)
        self.assertEqual(self._case().level_id.name, "First")

    def test_contact_window_follows_the_customer_time_zone(self):
        self.customer.tz = "America/New_York"  # 10:00 UTC is 05:00 in New York
        self.assertEqual(self._run(DUE + timedelta(days=10), hour=10)["skipped"], 1)
        self.assertEqual(self._run(DUE + timedelta(days=10), hour=15)["queued"], 1)

    def test_weekly_cap_defers_contacts(self):
        self.company_data["company"].collection_weekly_cap = 2
        case_vals = self._refresh_at(DUE + timedelta(days=8))._event_vals("Call", channel="call", state="sent")
        with freeze_time(f"{DUE + timedelta(days=8)} 10:00:00"):
            self.env["collection.event"].sudo().create([case_vals, case_vals])
        counts = self._run(DUE + timedelta(days=10))
        self.assertEqual(counts["skipped"], 1)
        self.assertIn("Weekly contact cap reached", self._events(state="skipped").reason)
        counts = self._run(DUE + timedelta(days=16))
        self.assertEqual(counts["queued"], 1, "sent once the contacts are older than 7 days")

    def test_opt_out_skips_the_channel_but_runs_the_level(self):
        self.customer.collection_email_opt_out = True
        counts = self._run(DUE + timedelta(days=10))
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0))
        skip = self._events(channel="email")
        self.assertEqual((skip.state, skip.reason), ("skipped", "Customer opted out of email"))
        self.assertEqual(self._case().level_id.name, "First")

    def test_do_not_contact_skips_every_channel(self):
        self.customer.do_not_contact = True
        self._run(DUE + timedelta(days=30))
        skipped = self._events(state="skipped").filtered(lambda e: e.channel in ("email", "letter"))
        self.assertEqual(sorted(skipped.mapped("channel")), ["email", "letter"])
        self.assertEqual(set(skipped.mapped("reason")), {"Customer marked do not contact"})

    def test_paused_case_waits_until_the_pause_ends(self):
        case = self._refresh_at(DUE - timedelta(days=3))
        with freeze_time(f"{DUE - timedelta(days=3)} 10:00:00"):
            case.action_pause(str(DUE + timedelta(days=20)))
        self.assertEqual(self._run(DUE + timedelta(days=10))["cases"], 0)
        self.assertEqual(self._case().next_action_date, DUE + timedelta(days=20))
        self._run(DUE + timedelta(days=11))
        paused = self._events(reason_code="paused")
        self.assertEqual(len(paused), 1, "the wait is logged once, not at every run")
        self.assertEqual(paused.level_id.name, "Soon due")
        self.assertEqual(self._run(DUE + timedelta(days=20))["cases"], 1)

    def test_blocked_invoice_is_not_dunned(self):
        self.invoice.write({"collection_blocked": True, "collection_blocked_reason": "Disputed by phone"})
        self.assertEqual(self._run(DUE + timedelta(days=10))["cases"], 0, "nothing else to dun: no case")
        with freeze_time(f"{DUE} 10:00:00"):
            other = self._invoice(self.customer, 0, 300.0)
        self._run(DUE + timedelta(days=10))
        skip = self._events(reason_code="blocked")
        self.assertEqual(skip.invoice_ids, self.invoice)
        mail = self._events(channel="email").mail_mail_id
        self.assertIn(other.name, mail.body_html)
        self.assertNotIn(self.invoice.name, mail.body_html, "the excluded invoice is not in the reminder")
        self.invoice.collection_blocked = False
        self._run(DUE + timedelta(days=30))
        last = self._events(channel="email").sorted("id")[-1].mail_mail_id
        self.assertIn(self.invoice.name, last.body_html, "dunned again once the exclusion is lifted")

    def test_time_barred_invoice_is_left_out_and_logged(self):
        self.company_data["company"].collection_limitation_years = 1
        with freeze_time(f"{DUE} 10:00:00"):
            old = self._invoice(self.customer, 400, 80.0)
        self._run(DUE + timedelta(days=10))
        skip = self._events(reason_code="time_barred")
        self.assertEqual(skip.invoice_ids, old)
        self.assertNotIn(old.name, self._events(channel="email").mail_mail_id.body_html)

    def test_send_next_reminder_runs_the_next_level_now(self):
        self._run(DUE - timedelta(days=3))
        case = self._case()
        with freeze_time(f"{DUE + timedelta(days=5)} 10:00:00"):
            case.with_user(self.collector).action_send_next_reminder()
        self.assertEqual(case.level_id.name, "First", "sent five days before its date, on request")
        self.assertEqual(len(self._events(channel="email")), 2)
        self.assertEqual(self._run(DUE + timedelta(days=10))["cases"], 0, "and not again on its date")

    def test_crash_in_a_batch_keeps_earlier_batches_and_rerun_sends_once(self):
        other = self._customer("Hotel Supplies", email="ap@hotel.example.com", tz="UTC")
        other.with_company(self.company_data["company"]).collection_policy_id = self.engine_policy
        with freeze_time("2026-02-01 10:00:00"):
            self._invoice(other, (date(2026, 2, 1) - DUE).days, 500.0)
        self.env["ir.config_parameter"].sudo().set_param("account_collections.batch_size", "1")
        Event = type(self.env["collection.event"])
        original = Event._log
        batches = []

        def crash_after_writing_second_batch(events, vals_list):
            logged = original(events, vals_list)
            if any(vals.get("level_id") for vals in vals_list):
                batches.append(logged.case_id.ids)
                if len(batches) == 2:
                    # the batch's cases, events and invoice links are written: the worker dies now
                    events.env.flush_all()
                    raise RuntimeError("worker killed")
            return logged

        # not assertRaises: Odoo's rolls back everything inside it, the first batch included
        with patch.object(Event, "_log", crash_after_writing_second_batch):
            crashed = False
            try:
                self._run(DUE + timedelta(days=10))
            except RuntimeError:
                crashed = True
            self.assertTrue(crashed, "the second batch should have crashed")
        self.assertEqual(len(batches), 2)
        self.env.invalidate_all()
        first, second = (self.env["collection.case"].browse(ids) for ids in batches)
        self.assertEqual(first.level_id.name, "First", "the first batch stays executed")
        self.assertFalse(second.level_id, "the second batch is rolled back, the case included")
        self.assertFalse(second.event_ids.filtered("level_id"), "and the events it had written")
        counts = self._run(DUE + timedelta(days=10))
        self.assertEqual(counts["cases"], 1, "the re-run only does what is left")
        self.assertEqual(second.level_id.name, "First")
        emails = self.env["collection.event"].search(
            [("channel", "=", "email"), ("partner_id", "in", [self.customer.id, other.id])]
        )
        self.assertEqual(len(emails), 2, "each level sent exactly once")
        self.assertEqual(emails.case_id, first | second)

    def test_run_date_must_be_iso(self):
        with self.assertRaisesRegex(UserError, "not a date"):
            self.env["collection.case"].run_collections(date="next monday")

    def test_only_managers_run_the_engine_by_button(self):
        with self.assertRaisesRegex(AccessError, "may not run the collections engine"):
            self.env["collection.case"].with_user(self.collector).action_run_collections()

    def test_thank_you_email_when_paid_in_full(self):
        case = self._refresh_at(DUE + timedelta(days=5))
        self.company_data["company"].collection_send_thanks = True
        self._pay(self.invoice, amount=400.0)
        self.assertFalse(case.event_ids.filtered(lambda e: e.name == "Thank-you email"), "not paid in full yet")
        self._pay(self.invoice)
        thanks = case.event_ids.filtered(lambda e: e.name == "Thank-you email")
        self.assertEqual((case.state, thanks.state), ("closed", "queued"))
        self.assertIn("thank you for your payment", thanks.mail_mail_id.subject)

    def test_no_thank_you_email_unless_the_company_wants_it(self):
        case = self._refresh_at(DUE + timedelta(days=5))
        self._pay(self.invoice)
        self.assertEqual(case.state, "closed")
        self.assertFalse(case.event_ids.filtered(lambda e: e.channel == "email"))

    def test_batch_query_count_does_not_grow_with_invoices_per_case(self):
        def run_queries(name, invoice_count):
            customer = self._customer(name, email=f"{name}@example.com", tz="UTC")
            customer.with_company(self.company_data["company"]).collection_policy_id = self.engine_policy
            with freeze_time(f"{DUE} 10:00:00"):
                moves = self.env["account.move"].create(
                    [
                        {
                            "move_type": "out_invoice",
                            "partner_id": customer.id,
                            "invoice_date": DUE - timedelta(days=30),
                            "invoice_date_due": DUE,
                            "invoice_line_ids": [(0, 0, {"name": "Item", "price_unit": 10.0, "tax_ids": []})],
                        }
                        for _i in range(invoice_count)
                    ]
                )
                moves.action_post()
            day = DUE + timedelta(days=10)
            with freeze_time(f"{day} 10:00:00"):
                Case = self.env["collection.case"].sudo().with_context(collection_date=day)
                case = Case.search([("partner_id", "=", customer.id), ("state", "=", "open")])
                Engine = self.env["collection.engine"].sudo().with_context(collection_date=day)
                run = Engine._new_run(day, case.company_id)
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                Engine._run_batch(run, case.ids)
                self.env.flush_all()
                queries = self.env.cr.sql_log_count - before
            self.assertEqual(run.counts["queued"], 1)
            return queries

        few = run_queries("few", 2)
        many = run_queries("many", 20)
        self.assertLessEqual(many, few + 3, f"{few} queries for a case of 2 invoices, {many} for 20")

    def test_run_queues_reminders_and_the_dispatch_renders_them_once(self):
        day = DUE + timedelta(days=10)
        with freeze_time(f"{day} 10:00:00"):
            counts = self.env["collection.case"].run_collections(date=str(day))
        self.assertEqual(counts["queued"], 1)
        event = self._events(channel="email")
        self.assertEqual(
            (event.state, event.mail_mail_id, event.invoice_ids), ("queued", self.env["mail.mail"], self.invoice)
        )
        cron = self.env.ref("account_collections.ir_cron_dispatch_collection_emails")
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), "the run triggers the dispatch"
        )
        with freeze_time(f"{day} 10:05:00"):
            self.assertEqual(self.env["collection.event"].dispatch_emails(), {"queued": 1, "failed": 0, "skipped": 0})
        mail = event.mail_mail_id
        self.assertEqual((event.state, mail.state, mail.mail_message_id), ("queued", "outgoing", event.mail_message_id))
        self.assertIn(self.invoice.name, mail.body_html)
        self.assertEqual(
            self.env["collection.event"].dispatch_emails(), {"queued": 0, "failed": 0, "skipped": 0}, "rendered once"
        )
        self.assertEqual(
            self.env["mail.mail"].search_count([("model", "=", "collection.case"), ("res_id", "=", event.case_id.id)]),
            1,
        )

    def test_a_case_paid_before_the_dispatch_gets_no_reminder(self):
        day = DUE + timedelta(days=10)
        with freeze_time(f"{day} 10:00:00"):
            self.env["collection.case"].run_collections(date=str(day))
            case = self._case()
            self._pay(self.invoice)
        self.assertEqual(case.state, "closed")
        self.env["collection.event"].dispatch_emails()
        event = case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id.name == "First")
        self.assertEqual((event.state, event.reason_code), ("skipped", "closed"))
        self.assertFalse(event.mail_mail_id)

    def test_a_collector_click_renders_the_email_at_once(self):
        case = self._refresh_at(DUE + timedelta(days=1))
        with freeze_time(f"{DUE + timedelta(days=1)} 10:00:00"):
            case.with_user(self.collector).action_send_next_reminder()
        self.assertEqual(self._events(channel="email").mail_mail_id.state, "outgoing")

    def test_only_managers_dispatch_by_api(self):
        with self.assertRaisesRegex(AccessError, "may not dispatch the queued reminder emails"):
            self.env["collection.event"].with_user(self.collector).dispatch_emails()

    def test_bulk_log_writes_what_create_would(self):
        case = self._refresh_at(DUE + timedelta(days=10))
        vals = case._event_vals("Bulk", channel="letter", state="queued", invoice_ids=[(6, 0, self.invoice.ids)])
        logged = self.env["collection.event"]._log([vals])
        created = self.env["collection.event"].sudo().create([vals])
        names = [
            name
            for name, field in logged._fields.items()
            if field.store and name not in ("id", "create_date", "write_date", "date")
        ]
        self.assertEqual(logged.read(names)[0] | {"id": 0}, created.read(names)[0] | {"id": 0})
        self.assertIn(logged, case.event_ids, "the case's log shows it")
        with self.assertRaisesRegex(UserError, "cannot be written in bulk"):
            self.env["collection.event"]._log([dict(vals, note_html="x")])
