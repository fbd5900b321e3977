import uuid
from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail, mail_new_test_user

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
FIRST = DUE + timedelta(days=10)  # the first reminder
SECOND = DUE + timedelta(days=12)  # the second one falls due two days later

# a customer's email, as the mail gateway receives it (the shape of Odoo's own gateway tests)
REPLY = """Return-Path: {return_path}
To: {to}
cc: {cc}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: multipart/alternative;
    boundary="----=_Part_4200734_24778174.1344608186754"
Date: Fri, 10 Aug 2012 14:16:26 +0000
Message-ID: {msg_id}
{extra}
------=_Part_4200734_24778174.1344608186754
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

We paid the invoice last week, please check your bank account.

--
Grace
------=_Part_4200734_24778174.1344608186754
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>We paid the invoice last week, please check your bank account.</p><p>--<br/>Grace</p></body></html>
------=_Part_4200734_24778174.1344608186754--
"""

# the mail server's delivery report for an email it could not deliver (RFC 3464)
BOUNCE = """Return-Path: <>
X-Original-To: {to}
Delivered-To: {to}
Date: Mon, 15 Apr 2019 15:41:06 +0200 (CEST)
From: MAILER-DAEMON@mail2.test.ironsky (Mail Delivery System)
Subject: {subject}
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="92726A5F09.1555335666/mail2.test.ironsky"
Message-Id: {msg_id}

This is a MIME-encapsulated message.

--92726A5F09.1555335666/mail2.test.ironsky
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{email_from}>: host golf.example.com said: 550 No such person at this address.

--92726A5F09.1555335666/mail2.test.ironsky
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail2.test.ironsky
Arrival-Date: Mon, 15 Apr 2019 15:40:24 +0200 (CEST)

Final-Recipient: rfc822; {email_from}
Original-Recipient: rfc822;{email_from}
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 No such person at this address.

--92726A5F09.1555335666/mail2.test.ironsky
Content-Description: Undelivered Message
Content-Type: message/rfc822

Return-Path: <{to}>
Message-Id: {bounced_msg_id}
Subject: Payment reminder
From: Colette Collector <collector@example.com>
To: {email_from}
Date: Mon, 15 Apr 2019 13:40:24 -0000
Content-Type: text/plain; charset="utf-8"

Your invoice is overdue.

--92726A5F09.1555335666/mail2.test.ironsky--
"""


@tagged("post_install", "-at_install")
class TestReplies(CollectionsCommon, MockEmail):
    """A customer's reply to a reminder pauses the case and asks the collector to answer; a bounce
    fails the reminder and flags the address."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.company.collection_reply_pause_days = 3
        cls.reply_type = cls.env.ref("account_collections.mail_activity_type_collection_reply")
        cls.second_collector = mail_new_test_user(
            cls.env,
            login="second_collector",
            name="Sam Second",
            email="sam@example.com",
            groups="base.group_user,account_collections.group_collection_user",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.policy = cls._email_policy("Replies", [("First", 10), ("Second", 12)])
        cls.customer = cls._customer("Golf Traders", email="ap@golf.example.com", tz="UTC")
        cls.customer.with_company(cls.company).collection_policy_id = cls.policy
        with freeze_time("2026-02-01 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 500.0)

    def _run(self, day, hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"):
            counts = self.env["collection.case"].sudo()._run_collections(date=str(day))
            self.env["collection.event"].sudo()._dispatch_emails()
        return counts

    def _send_first_reminder(self):
        """The first reminder goes out; its event and the case."""
        self._run(FIRST)
        case = self._case(self.customer)
        case.user_id = self.collector
        reminder = self._events(case, channel="email", direction="outbound")
        self.assertEqual(len(reminder), 1)
        with freeze_time(f"{FIRST} 10:05:00"), self.mock_mail_gateway():
            reminder.mail_mail_id.send()
        self.assertEqual(reminder.state, "sent")
        return case, reminder

    def _reply(self, reminder, day=FIRST, email_from=None, hour=11):
        """The customer answers the reminder from their mailbox (In-Reply-To the reminder)."""
        message = reminder.mail_message_id
        with freeze_time(f"{day} {hour:02d}:00:00"), self.mock_mail_gateway():
            self.format_and_process(
                REPLY,
                email_from or "Grace <ap@golf.example.com>",
                message.reply_to or "catchall.test@test.mycompany.com",
                subject=f"Re: {message.subject}",
                extra=f"In-Reply-To: {message.message_id}\n",
                msg_id=self._new_msg_id(),
                target_model="collection.case",
                target_field="name",
            )

    def _new_msg_id(self):
        # (format_and_process's own Message-ID may hold a space, which a reply's In-Reply-To cannot carry)
        return f"<{uuid.uuid4()}@mail.example.com>"

    def _events(self, case, **domain):
        return self.env["collection.event"].search(
            [("case_id", "=", case.id)] + [(field, "=", value) for field, value in domain.items()], order="id"
        )

    def _reply_activities(self, case):
        return case.activity_ids.filtered(lambda a: a.activity_type_id == self.reply_type)

    def _answer(self, case, user=None, day=FIRST, **kwargs):
        """A collector sends a message to the customer from the case (the chatter's *Send message*)."""
        with freeze_time(f"{day} 14:00:00"), self.mock_mail_gateway():
            return case.with_user(user or self.collector).message_post(
                body="We found your payment, thank you: the case is settled.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                **kwargs,
            )

    # ------------------------------------------------------------------ replies
    def test_reply_logs_inbound_event_pauses_and_asks_collector_to_answer(self):
        case, reminder = self._send_first_reminder()
        self.assertEqual(reminder.mail_message_id.model, "collection.case", "the reminder is on the case's thread")
        self._reply(reminder)
        inbound = self._events(case, direction="inbound")
        self.assertEqual(len(inbound), 1, "the reply is in the case's log")
        self.assertEqual((inbound.channel, inbound.state), ("email", "sent"))
        self.assertEqual(inbound.partner_id, self.customer)
        self.assertEqual(inbound.mail_message_id.author_id, self.customer, "linked to the customer's message")
        self.assertEqual(inbound.mail_message_id.message_type, "email")
        self.assertIn("We paid the invoice last week", inbound.note)
        self.assertIn(inbound.mail_message_id, case.message_ids, "the reply is on the case's thread")
        self.assertEqual(case.paused_until, FIRST + timedelta(days=3), "paused for the company's days")
        self.assertEqual(case.pause_reason, "reply")
        self.assertTrue(case.awaiting_reply_since)
        activity = self._reply_activities(case)
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            (activity.user_id, activity.date_deadline), (self.collector, FIRST), "for the collector, today"
        )
        # a second email from the customer: one more event, still one activity
        self._reply(reminder, hour=12)
        self.assertEqual(len(self._events(case, direction="inbound")), 2)
        self.assertEqual(len(self._reply_activities(case)), 1)

    def test_reply_activity_moves_to_next_working_day(self):
        self.company.collection_contact_weekends = False
        case, reminder = self._send_first_reminder()  # Thursday 12 March
        self._reply(reminder, day=FIRST + timedelta(days=2))  # Saturday
        self.assertEqual(self._reply_activities(case).date_deadline, FIRST + timedelta(days=4), "on Monday")

    def test_reply_from_unknown_sender_still_logs(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder, email_from="Someone Else <someone@elsewhere.example.com>")
        inbound = self._events(case, direction="inbound")
        self.assertEqual(len(inbound), 1)
        self.assertEqual(inbound.partner_id, self.customer, "the case's customer")
        self.assertIn("someone@elsewhere.example.com", inbound.name)
        self.assertEqual(case.pause_reason, "reply")
        self.assertTrue(self._reply_activities(case))

    def test_no_pause_when_company_sets_zero_but_event_and_activity(self):
        self.company.collection_reply_pause_days = 0
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        self.assertEqual(len(self._events(case, direction="inbound")), 1)
        self.assertFalse(case.paused_until)
        self.assertFalse(case.pause_reason)
        self.assertEqual(len(self._reply_activities(case)), 1)
        # the next level goes out as planned
        counts = self._run(SECOND)
        self.assertEqual(counts["queued"], 1)

    def test_another_employees_email_is_no_answer(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        salesperson = mail_new_test_user(
            self.env, login="sales_reply", name="Sally Sales", email="sally@example.com", groups="base.group_user"
        )
        # a salesperson in copy answers all: the gateway posts it on the case as superuser
        with freeze_time(f"{FIRST} 14:00:00"), self.mock_mail_gateway():
            case.sudo().message_post(
                body="Forwarding to accounting.",
                author_id=salesperson.partner_id.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(case.pause_reason, "reply", "only a collector's answer ends the wait")
        self.assertTrue(case.awaiting_reply_since)
        self.assertTrue(self._reply_activities(case))

    def test_collector_message_ends_pause_and_activity(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        # a log note is not an answer
        case.with_user(self.collector).message_post(body="Checking with the bank.", subtype_xmlid="mail.mt_note")
        self.assertEqual(case.pause_reason, "reply")
        # another collector answers: the activity (the case's collector's) is done all the same
        answer = self._answer(case, user=self.second_collector)
        self.assertFalse(case.paused_until, "the reply pause ends")
        self.assertFalse(case.pause_reason)
        self.assertFalse(case.awaiting_reply_since)
        self.assertFalse(self._reply_activities(case), "the Reply to customer activity is done")
        done = self.env["mail.message"].search(
            [("model", "=", case._name), ("res_id", "=", case.id), ("mail_activity_type_id", "=", self.reply_type.id)]
        )
        self.assertTrue(done, "marked done in the chatter")
        logged = self._events(case, mail_message_id=answer.id)
        self.assertEqual(
            (logged.channel, logged.direction, logged.user_id), ("email", "outbound", self.second_collector)
        )
        self.assertTrue(self._events(case, name="Dunning resumed: the customer got an answer"))
        # the next level goes out on its day
        self.assertEqual(self._run(SECOND)["queued"], 1)

    def test_collector_email_reply_through_the_gateway_ends_pause_and_activity(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        reply = self._events(case, direction="inbound").mail_message_id
        # the collector answers from their mailbox, to the notification of the customer's email
        with freeze_time(f"{FIRST} 16:00:00"), self.mock_mail_gateway():
            self.format_and_process(
                REPLY,
                self.collector.email_formatted,
                "catchall.test@test.mycompany.com",
                subject=f"Re: {reply.subject}",
                extra=f"In-Reply-To: {reply.message_id}\n",
                msg_id=self._new_msg_id(),
                target_model="collection.case",
                target_field="name",
            )
        self.assertEqual(len(self._events(case, direction="inbound")), 1, "the collector's email is no customer reply")
        self.assertFalse(case.pause_reason)
        self.assertFalse(self._reply_activities(case))
        answer = self._events(case, direction="outbound", channel="email") - reminder
        self.assertEqual((len(answer), answer.user_id), (1, self.collector), "logged as the collector's answer")

    def test_logged_call_ends_pause_and_activity(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        with freeze_time(f"{FIRST} 15:00:00"):
            wizard = Form(
                self.env["collection.log.call"]
                .with_user(self.collector)
                .with_context(active_model=case._name, active_id=case.id)
            )
            wizard.outcome = "reached"
            wizard.note = "Explained that the payment went to the wrong invoice."
            wizard.save().action_confirm()
        self.assertFalse(case.paused_until)
        self.assertFalse(case.awaiting_reply_since)
        self.assertFalse(self._reply_activities(case))
        self.assertTrue(self._events(case, channel="call"))
        self.assertTrue(self._events(case, name="Dunning resumed: the customer got an answer"))

    def test_longer_manual_pause_is_kept_and_outlives_the_answer(self):
        case, reminder = self._send_first_reminder()
        until = FIRST + timedelta(days=20)
        with freeze_time(f"{FIRST} 10:30:00"):
            case.with_user(self.collector).action_pause(str(until))
        self.assertEqual(case.pause_reason, "manual")
        self._reply(reminder)
        self.assertEqual((case.paused_until, case.pause_reason), (until, "manual"), "the reply does not shorten it")
        self.assertEqual(len(self._reply_activities(case)), 1, "the collector is still asked to answer")
        self._answer(case)
        self.assertEqual(
            (case.paused_until, case.pause_reason), (until, "manual"), "the answer ends a reply pause only"
        )
        self.assertFalse(self._reply_activities(case))
        self.assertFalse(case.awaiting_reply_since)

    def test_shorter_manual_pause_is_extended_by_the_reply(self):
        case, reminder = self._send_first_reminder()
        with freeze_time(f"{FIRST} 10:30:00"):
            case.with_user(self.collector).action_pause(str(FIRST + timedelta(days=1)))
        self._reply(reminder)
        self.assertEqual((case.paused_until, case.pause_reason), (FIRST + timedelta(days=3), "reply"))

    def test_engine_skips_the_paused_case_then_resumes(self):
        case, reminder = self._send_first_reminder()
        self._reply(reminder)
        counts = self._run(SECOND)
        self.assertEqual(counts["queued"], 0, "no reminder while the customer waits for our answer")
        paused = self._events(case, reason_code="paused")
        self.assertEqual(len(paused), 1, "logged as paused")
        self.assertEqual(paused.level_id.name, "Second")
        self.assertEqual(paused.reason, f"Paused until {FIRST + timedelta(days=3)}")
        self.assertEqual(self._run(FIRST + timedelta(days=3))["queued"], 1, "the pause is over: the level goes out")

    def test_users_cannot_fake_a_reply_or_clear_the_wait(self):
        case, reminder = self._send_first_reminder()
        # a collector posting an "email" through RPC is not the gateway
        case.with_user(self.collector).message_post(
            body="Fake", message_type="email", author_id=self.customer.id, subtype_xmlid="mail.mt_comment"
        )
        self.assertFalse(self._events(case, direction="inbound"))
        self.assertFalse(case.pause_reason)
        self._reply(reminder)
        with self.assertRaises(AccessError):
            case.with_user(self.collector).write({"pause_reason": False})
        with self.assertRaises(AccessError):
            case.with_user(self.collector).write({"awaiting_reply_since": False})
        # a pause changed by hand in the form is a manual one
        case.with_user(self.collector).paused_until = FIRST + timedelta(days=30)
        self.assertEqual(case.pause_reason, "manual")

    # ------------------------------------------------------------------ bounces
    def _bounce(self, reminder, email="ap@golf.example.com"):
        with (
            freeze_time(f"{FIRST} 10:10:00"),
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.mail.models.mail_thread"),
        ):
            self.format_and_process(
                BOUNCE,
                email,
                f"{self.alias_bounce}@{self.alias_domain}",
                subject="Undelivered Mail Returned to Sender",
                msg_id=self._new_msg_id(),
                bounced_msg_id=reminder.mail_message_id.message_id,
                target_model="collection.case",
                target_field="name",
            )

    def test_bounce_fails_the_reminder_and_flags_the_contact(self):
        case, reminder = self._send_first_reminder()
        self.assertEqual(self.customer.message_bounce, 0)
        self._bounce(reminder)
        self.assertEqual((reminder.state, reminder.reason_code), ("failed", "bounced"))
        self.assertIn("550 No such person at this address", reminder.reason)
        self.assertIn("ap@golf.example.com", reminder.reason)
        self.assertEqual(self.customer.message_bounce, 1, "the address is flagged on the contact")
        self.assertFalse(self._events(case, direction="inbound"), "a bounce is no reply")
        self.assertFalse(case.pause_reason)

    def test_after_a_bounce_the_next_reminder_goes_by_letter(self):
        case, reminder = self._send_first_reminder()
        self._bounce(reminder)
        self._run(SECOND)
        second = self._events(case, level_id=self.policy.level_ids[1].id)
        email = second.filtered(lambda e: e.channel == "email")
        self.assertEqual((email.state, email.reason_code), ("skipped", "bounced"), "no email to the bounced address")
        letter = second.filtered(lambda e: e.channel == "letter")
        self.assertEqual(letter.state, "queued", "a letter instead, to print")
        # the collector corrects the address: emails again
        self.customer.email = "accounts@golf.example.com"
        self.assertEqual(self.customer.message_bounce, 0)
        self.assertFalse(case._channel_block_reason("email"))

    def test_after_a_bounce_the_next_reminder_goes_to_the_next_address(self):
        accounts = self.env["res.partner"].create(
            {"name": "Golf Accounts", "type": "invoice", "parent_id": self.customer.id, "email": "inv@golf.example.com"}
        )
        case, reminder = self._send_first_reminder()
        self.assertIn("inv@golf.example.com", reminder.email_to, "the invoice address receives the first reminder")
        self._bounce(reminder, email="inv@golf.example.com")
        self.assertEqual((reminder.state, reminder.reason_code), ("failed", "bounced"))
        self.assertEqual(accounts.message_bounce, 1)
        self._run(SECOND)
        second = self._events(case, level_id=self.policy.level_ids[1].id)
        email = second.filtered(lambda e: e.channel == "email")
        self.assertEqual(email.state, "queued")
        self.assertIn("ap@golf.example.com", email.email_to, "the customer's own address is next")
        self.assertNotIn("inv@golf.example.com", email.email_to)
        self.assertFalse(second.filtered(lambda e: e.channel == "letter"), "an address is left: no letter")
