from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
FIRST = DUE + timedelta(days=10)
# renders for a customer with a reference, fails for one without (False has no upper())
NEEDS_REF = '<p>Account <t t-out="object.partner_id.ref.upper()"/></p>'


@tagged("post_install", "-at_install")
class TestDispatchFaults(CollectionsCommon, MockEmail):
    """One record that fails to render, or whose guards no longer hold, stops no other."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        # a manager who may edit the email templates (every employee may, unless the settings restrict it)
        cls.collection_manager.groups_id |= cls.env.ref("mail.group_mail_template_editor")
        cls.standard = cls.env.ref("account_collections.mail_template_collection_reminder")
        cls.custom = cls.standard.copy({"name": "Custom reminder"})
        cls.good_policy = cls._email_policy("Standard", [("First", 10), ("Second", 30)])
        cls.custom_policy = cls._email_policy("Custom", [("First", 10), ("Second", 30)])
        cls.custom_policy.level_ids.mail_template_id = cls.custom
        cls.good = cls._debtor("Good Traders", cls.good_policy)
        cls.bad = cls._debtor("Bad Traders", cls.custom_policy)
        cls.bad2 = cls._debtor("Worse Traders", cls.custom_policy)

    @classmethod
    def _debtor(cls, name, policy, **vals):
        partner = cls._customer(name, email=f"ap@{name.split()[0].lower()}.example.com", tz="UTC", **vals)
        partner.with_company(cls.company).collection_policy_id = policy
        with freeze_time("2026-02-01 10:00:00"):
            cls._invoice(partner, (date(2026, 2, 1) - DUE).days, 500.0)
        return partner

    def _run(self, day=FIRST, hour=10):
        """The hourly cron and the dispatch cron it triggers."""
        with freeze_time(f"{day} {hour:02d}:00:00"):
            counts = self.env["collection.case"].sudo()._run_collections(date=str(day))
            self.env["collection.event"].sudo()._dispatch_emails()  # what the cron runs, with commits
        return counts

    def _reminders(self, partner):
        return self.env["collection.event"].search(
            [("partner_id", "=", partner.id), ("channel", "=", "email"), ("level_id", "!=", False)], order="id"
        )

    def _notifications(self, template):
        return self.env["mail.message"].search(
            [("model", "=", template._name), ("res_id", "=", template.id), ("message_type", "=", "user_notification")]
        )

    # ------------------------------------------------------------------ level reminders
    def test_broken_template_fails_its_reminders_the_others_go_out_and_the_level_is_retried(self):
        body = self.custom.body_html
        # a manager saves a reminder that refers to a field that does not exist
        self.custom.with_user(self.collection_manager).body_html = '<p><t t-out="object.x_no_such_field"/></p>'
        self._run()
        good = self._reminders(self.good)
        self.assertEqual(good.state, "queued")
        self.assertTrue(good.mail_mail_id, "the other policy's customer gets the reminder")
        for partner in (self.bad, self.bad2):
            failed = self._reminders(partner)
            self.assertEqual((failed.state, failed.reason_code), ("failed", "render"), partner.name)
            self.assertIn("x_no_such_field", failed.reason)
            self.assertFalse(failed.mail_mail_id)
        notification = self._notifications(self.custom)
        self.assertEqual(len(notification), 1, "one notification for the batch, not one per reminder")
        self.assertIn(self.collection_manager.partner_id, notification.partner_ids)
        self.assertIn("x_no_such_field", notification.body)

        # the next run tries the level's reminder again; still broken: failed again, no second notification
        self._run(hour=11)
        self.assertEqual(self._reminders(self.bad).mapped("state"), ["failed", "failed"])
        self.assertEqual(len(self._notifications(self.custom)), 1, "once a day per template")
        self.assertEqual(self._reminders(self.good).state, "queued", "the good one is not sent twice")

        self.custom.with_user(self.collection_manager).body_html = body
        counts = self._run(hour=12)
        self.assertEqual(counts["queued"], 2, "the two failed reminders, and nothing else")
        case = self._case(self.bad)
        retried = self._reminders(self.bad)[-1]
        self.assertEqual((retried.state, retried.level_id.name), ("queued", "First"))
        self.assertIn(case.name, retried.mail_mail_id.subject)
        self.assertEqual(case.level_id.name, "First")
        executed = case.event_ids.filtered(lambda e: e.name.startswith("Level First executed"))
        self.assertEqual(len(executed), 1, "the level itself ran once: only its reminder is sent again")
        self.assertEqual(self._run(hour=13)["queued"], 0, "sent: not retried any more")

    def test_one_record_the_template_fails_on_stops_no_other_of_its_batch(self):
        self.custom.body_html = NEEDS_REF
        self.bad2.ref = "c-42"
        self._run()
        self.assertEqual(self._reminders(self.bad2).state, "queued")
        self.assertIn("C-42", self._reminders(self.bad2).mail_mail_id.body_html)
        failed = self._reminders(self.bad)
        self.assertEqual((failed.state, failed.reason_code), ("failed", "render"))
        self.assertIn("AttributeError", failed.reason)
        self.assertEqual(self._reminders(self.good).state, "queued")
        # the customer's data is corrected: the next run sends the level's reminder
        self.bad.ref = "b-7"
        self._run(hour=11)
        self.assertEqual(self._reminders(self.bad).mapped("state"), ["failed", "queued"])

    def test_reminder_of_a_case_moved_on_is_not_retried(self):
        self.custom.body_html = NEEDS_REF
        self._run()
        self.assertEqual(self._reminders(self.bad).state, "failed")
        self._run(DUE + timedelta(days=30))
        reminders = self._reminders(self.bad)
        self.assertEqual(reminders.level_id.mapped("name"), ["First", "Second"], "no new First, the level moved on")

    # ------------------------------------------------------------------ other emails
    def test_thank_you_note_that_fails_to_render_does_not_stop_the_payment(self):
        self.company.collection_send_thanks = True
        thanks = self.env.ref("account_collections.mail_template_collection_thanks")
        thanks.with_user(self.collection_manager).subject = "{{ object.partner_id.ref.upper() }}: thank you"
        self.bad.ref = "b-7"
        for partner in (self.good, self.bad):
            with freeze_time(f"{FIRST} 10:00:00"):
                self._refresh(FIRST)
                self._pay(self._case(partner).open_invoice_ids)
        good = self._thank_you(self.good)
        self.assertEqual(good.case_id.state, "closed", "the payment went through")
        self.assertEqual((good.state, good.reason_code), ("failed", "render"))
        self.assertIn("AttributeError", good.reason)
        self.assertEqual(self._thank_you(self.bad).state, "queued")
        self.assertEqual(len(self._notifications(thanks)), 1)

    def _thank_you(self, partner):
        return self.env["collection.event"].search([("partner_id", "=", partner.id), ("name", "=", "Thank-you email")])

    def _refresh(self, day):
        self.env["collection.case"].with_context(collection_date=str(day)).refresh_cases()

    def test_installment_reminder_that_fails_to_render_is_retried_and_the_others_go_out(self):
        self.company.collection_plan_reminder_days = 3
        template = self.env.ref("account_collections.mail_template_payment_plan_reminder")
        body = template.body_html
        template.with_user(self.collection_manager).body_html = NEEDS_REF
        self.good.ref = "g-1"
        plans = {}
        with freeze_time(f"{FIRST} 10:00:00"):
            self._refresh(FIRST)
            for partner in (self.good, self.bad):
                case = self._case(partner)
                plans[partner] = self.env["collection.payment.plan"].create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(case.open_invoice_ids.ids)],
                        "start_date": FIRST,
                        "installment_count": 2,
                        "interval": "weekly",
                    }
                )
                plans[partner].with_context(collection_date=str(FIRST)).action_activate()
        day = FIRST + timedelta(days=4)  # the second installment falls due in 3 days
        self._run(day)
        good, bad = (self._installment_reminders(partner) for partner in (self.good, self.bad))
        self.assertEqual(good.state, "queued")
        self.assertEqual((bad.state, bad.reason_code), ("failed", "render"))
        self.assertTrue(plans[self.good].line_ids[1].reminder_sent)
        self.assertFalse(plans[self.bad].line_ids[1].reminder_sent, "tried again at the next run")
        template.body_html = body
        self._run(day, hour=11)
        self.assertEqual(self._installment_reminders(self.bad).mapped("state"), ["failed", "queued"])
        self.assertTrue(plans[self.bad].line_ids[1].reminder_sent)

    def _installment_reminders(self, partner):
        return self.env["collection.event"].search(
            [("partner_id", "=", partner.id), ("channel", "=", "email"), ("name", "like", "Installment reminder")],
            order="id",
        )

    def test_agreement_email_that_fails_to_render_does_not_stop_the_activation(self):
        template = self.env.ref("account_collections.mail_template_payment_plan")
        template.with_user(self.collection_manager).body_html = '<p><t t-out="object.x_no_such_field"/></p>'
        with freeze_time(f"{FIRST} 10:00:00"):
            self._refresh(FIRST)
            case = self._case(self.good)
            plan = self.env["collection.payment.plan"].create(
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(case.open_invoice_ids.ids)],
                    "start_date": FIRST,
                    "installment_count": 2,
                    "interval": "weekly",
                }
            )
            plan.with_user(self.collector).with_context(collection_date=str(FIRST)).action_activate()
        self.assertEqual(plan.state, "active")
        email = case.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual((email.state, email.reason_code, email.level_id), ("failed", "render", case.level_id.browse()))
        self.assertIn("x_no_such_field", email.reason)

    # ------------------------------------------------------------------ guards at dispatch
    def _queue_reminder(self, partner, **vals):
        """A queued reminder as the run logs it, or as anything writing the log directly would."""
        with freeze_time(f"{FIRST} 10:00:00"):
            self._refresh(FIRST)
            case = self._case(partner)
            level = case.policy_id.level_ids[0]
            return (
                self.env["collection.event"]
                .sudo()
                .create(case._event_vals("Reminder", channel="email", state="queued", level_id=level.id, **vals))
            )

    def _dispatch(self, day=FIRST, hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"):
            return self.env["collection.event"].sudo()._dispatch_emails()

    def test_dispatch_skips_a_queued_reminder_to_a_do_not_contact_customer(self):
        self.bad.do_not_contact = True
        created = self._queue_reminder(self.bad)
        good = self._queue_reminder(self.good)
        # and one written straight into the table
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO collection_event (case_id, partner_id, company_id, name, date, channel, direction, state,
                                          level_id)
            SELECT case_id, partner_id, company_id, 'Raw', date, channel, direction, 'queued', level_id
              FROM collection_event WHERE id = %s RETURNING id
            """,
            [created.id],
        )
        raw = self.env["collection.event"].browse(self.env.cr.fetchone()[0])
        self._dispatch()
        for event in (created, raw):
            self.assertEqual((event.state, event.reason_code), ("skipped", "do_not_contact"))
            self.assertFalse(event.mail_mail_id)
        self.assertTrue(good.mail_mail_id)

    def test_dispatch_skips_reminders_of_opted_out_customers_and_cases_at_an_agency(self):
        opted = self._queue_reminder(self.bad)
        placed = self._queue_reminder(self.bad2)
        self.bad.collection_email_opt_out = True
        self._case(self.bad2)._move_to_stage("agency")  # as the handover wizard does
        self._dispatch()
        self.assertEqual((opted.state, opted.reason_code), ("skipped", "opt_out"))
        self.assertEqual((placed.state, placed.reason_code), ("skipped", "stage"))
        self.assertFalse((opted | placed).mail_mail_id)

    def test_dispatch_skips_a_reminder_that_is_not_its_case_s(self):
        other_company = self.setup_other_company()["company"]
        event = self._queue_reminder(self.good, company_id=other_company.id)
        self._dispatch()
        self.assertEqual((event.state, event.reason_code), ("skipped", "config"))
        self.assertFalse(event.mail_mail_id)

    def test_dispatch_outside_the_contact_window_keeps_the_reminder_queued(self):
        event = self._queue_reminder(self.good)
        self._dispatch(hour=22)
        self.assertEqual(event.state, "queued")
        self.assertFalse(event.mail_mail_id, "not sent at night")
        self._dispatch(FIRST + timedelta(days=1), hour=9)
        self.assertEqual(event.state, "queued")
        self.assertTrue(event.mail_mail_id, "sent when the window opens")
