from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CollectionsCommon

DAY0 = date(2026, 3, 2)  # a Monday


@tagged("post_install", "-at_install")
class TestPaymentPlan(CollectionsCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.template = cls.env.ref("account_collections.mail_template_collection_reminder")
        cls.plan_policy = cls._email_policy("Plan policy", [("First", 10), ("Second", 30), ("Third", 60)])
        cls.customer = cls._customer("Hotel Atlas", email="ap@atlas.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.plan_policy
        with freeze_time(f"{DAY0} 10:00:00"):
            cls.inv_old = cls._invoice(cls.customer, 40, 600.0)  # due 2026-01-21
            cls.inv_mid = cls._invoice(cls.customer, 20, 400.0)  # due 2026-02-10
            cls.inv_other = cls._invoice(cls.customer, 15, 250.0)  # due 2026-02-15, not in the plan
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id), ("state", "=", "open")])

    # ------------------------------------------------------------------ helpers
    def _plan(self, invoices=None, **vals):
        invoices = self.inv_old | self.inv_mid if invoices is None else invoices
        with freeze_time(f"{DAY0} 10:00:00"):
            return self.env["collection.payment.plan"].create(
                {
                    "case_id": invoices.collection_case_id.id,
                    "invoice_ids": [Command.set(invoices.ids)],
                    "start_date": DAY0,
                    "installment_count": 4,
                    "interval": "weekly",
                    **vals,
                }
            )

    def _activate(self, plan):
        with freeze_time(f"{DAY0} 10:00:00"):
            # a collector without accounting manager rights can start a plan
            plan.with_user(self.collector).with_context(collection_date=DAY0).action_activate()
        return plan

    def _run(self, day, hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"):
            return self._run_collections(day)

    def _events(self, **filters):
        domain = [("case_id", "=", self.case.id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    def _schedule(self, plan):
        return [(line.due_date, line.amount) for line in plan.line_ids]

    # ------------------------------------------------------------------ schedules
    def test_weekly_schedule_starts_on_the_start_date(self):
        plan = self._plan()
        self.assertEqual(plan.amount_total, 1000.0)
        self.assertEqual(
            self._schedule(plan),
            [(DAY0, 250.0), (date(2026, 3, 9), 250.0), (date(2026, 3, 16), 250.0), (date(2026, 3, 23), 250.0)],
        )
        self.assertEqual(plan.line_ids.mapped("state"), ["pending"] * 4)

    def test_biweekly_schedule_with_down_payment(self):
        plan = self._plan(interval="biweekly", installment_count=3, down_payment=100.0)
        self.assertEqual(
            self._schedule(plan),
            [(DAY0, 100.0), (date(2026, 3, 16), 300.0), (date(2026, 3, 30), 300.0), (date(2026, 4, 13), 300.0)],
        )
        self.assertTrue(plan.line_ids[0].is_down_payment)

    def test_monthly_schedule_from_31_january_is_month_end_safe(self):
        plan = self._plan(interval="monthly", start_date=date(2026, 1, 31))
        self.assertEqual(
            [line.due_date for line in plan.line_ids],
            [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)],
        )
        # leap year, with a down payment: the first installment one month after the start
        plan.write({"start_date": date(2028, 1, 31), "down_payment": 100.0, "installment_count": 5})
        self.assertEqual(
            [line.due_date for line in plan.line_ids],
            [
                date(2028, 1, 31),
                date(2028, 2, 29),
                date(2028, 3, 31),
                date(2028, 4, 30),
                date(2028, 5, 31),
                date(2028, 6, 30),
            ],
        )

    def test_rounding_difference_goes_to_the_last_installment(self):
        customer = self._customer("Small Debts")
        with freeze_time(f"{DAY0} 10:00:00"):
            invoice = self._invoice(customer, 20, 100.0)
        plan = self._plan(invoice, installment_count=3)
        self.assertEqual(plan.line_ids.mapped("amount"), [33.33, 33.33, 33.34])
        plan.down_payment = 20.0
        self.assertEqual(plan.line_ids.mapped("amount"), [20.0, 26.67, 26.67, 26.66])
        self.assertAlmostEqual(sum(plan.line_ids.mapped("amount")), 100.0, places=2)

    def test_down_payment_must_be_less_than_total(self):
        with self.assertRaisesRegex(ValidationError, "must be less than its total"):
            self._plan(down_payment=1000.0)
        with self.assertRaisesRegex(ValidationError, "at least one installment"):
            self._plan(installment_count=0)

    def test_schedule_lines_editable_only_while_draft(self):
        plan = self._plan()
        plan.line_ids[0].amount = 200.0
        plan.line_ids[1].amount = 300.0
        self._activate(plan)
        with self.assertRaisesRegex(UserError, "only draft plans can be changed"):
            plan.line_ids[0].amount = 250.0

    # ------------------------------------------------------------------ activation
    def test_activation_holds_invoices_moves_case_and_queues_agreement(self):
        plan = self._activate(self._plan())
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.amount_residual_at_activation, 1000.0)
        self.assertEqual((self.inv_old | self.inv_mid).mapped("collection_hold"), ["plan", "plan"])
        self.assertFalse(self.inv_other.collection_hold)
        self.assertEqual(self.case.stage_id.code, "plan")
        mail = self.env["mail.mail"].search([("model", "=", "collection.payment.plan"), ("res_id", "=", plan.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent inside the request")
        self.assertIn(self.customer, mail.recipient_ids)
        self.assertIn(f"/my/invoices/{self.inv_old.id}?access_token=", mail.body_html)
        self.assertIn("250.00", mail.body_html)
        # the agreement report (Odoo renders QWeb PDF reports as HTML in tests: no wkhtmltopdf)
        agreement = mail.attachment_ids
        self.assertEqual(len(agreement), 1)
        self.assertTrue(agreement.name.startswith(f"Payment Plan - {plan.name.replace('/', '-')}"))
        if not agreement.name.endswith(".pdf"):
            self.assertIn("Payment Plan Agreement", agreement.raw.decode())
        email_event = self._events(channel="email", mail_mail_id=mail.id)
        self.assertEqual(email_event.state, "queued")

    def test_activation_validations(self):
        other_plan = self._activate(self._plan(self.inv_old))
        self.assertEqual(other_plan.state, "active")
        plan = self._plan(self.inv_mid | self.inv_other)
        plan.invoice_ids = [Command.link(self.inv_old.id)]
        with self.assertRaisesRegex(UserError, "already covered"):
            self._activate(plan)
        plan = self._plan(self.inv_mid, start_date=DAY0 - timedelta(days=1))
        with self.assertRaisesRegex(UserError, "start date .* in the past"):
            self._activate(plan)
        plan = self._plan(self.inv_mid)
        plan.line_ids[0].amount = 10.0
        with self.assertRaisesRegex(UserError, "add up to"):
            self._activate(plan)

    def test_engine_skips_covered_invoices_and_reminds_the_others(self):
        self._activate(self._plan())
        self._run(DAY0)
        email = self._events(channel="email").filtered(lambda e: e.level_id)
        self.assertEqual(email.invoice_ids, self.inv_other)
        self.assertIn(self.inv_other.name, email.mail_mail_id.body_html)
        self.assertNotIn(self.inv_old.name, email.mail_mail_id.body_html)
        skipped = self._events(reason_code="plan")
        self.assertEqual(skipped.invoice_ids, self.inv_old | self.inv_mid)
        self.assertEqual(self.case.stage_id.code, "plan", "a reminder on other invoices keeps the plan stage")

    # ------------------------------------------------------------------ payments
    def test_payments_are_allocated_oldest_first(self):
        plan = self._activate(self._plan())
        with freeze_time(f"{DAY0} 12:00:00"):
            self._pay(self.inv_old, amount=400.0, date=DAY0)
        self._run(DAY0 + timedelta(days=1))
        self.assertEqual(plan.line_ids.mapped("amount_paid"), [250.0, 150.0, 0.0, 0.0])
        self.assertEqual(plan.line_ids.mapped("state"), ["paid", "partial", "pending", "pending"])
        self.assertEqual(plan.amount_paid, 400.0)
        self.assertEqual(plan.amount_total, 1000.0, "the agreed total does not move with payments")
        self.assertEqual(plan.state, "active")

    def test_plan_completed_when_everything_is_paid(self):
        plan = self._activate(self._plan())
        with freeze_time(f"{DAY0 + timedelta(days=3)} 12:00:00"):
            self._pay(self.inv_old | self.inv_mid, date=DAY0 + timedelta(days=3))
        self._run(DAY0 + timedelta(days=3))
        self.assertEqual(plan.state, "completed")
        self.assertEqual(plan.line_ids.mapped("state"), ["paid"] * 4)
        self.assertTrue(self._events(name=f"Payment plan {plan.name} completed: every installment paid"))
        self.assertEqual(self.case.state, "open", "the invoice outside the plan is still owed")
        self.assertNotEqual(self.case.stage_id.code, "plan")

    def test_broken_after_grace_resumes_escalation(self):
        plan = self._activate(self._plan(grace_days=5))
        self._run(DAY0 + timedelta(days=5))
        self.assertEqual(plan.state, "active", "still within the grace days")
        self.assertEqual(plan.line_ids[0].state, "late")
        self.assertTrue(plan.has_late_line)
        self.assertEqual(self.case.stage_id.code, "plan")

        self._run(DAY0 + timedelta(days=6))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.line_ids.mapped("state"), ["late", "pending", "pending", "pending"])
        self.assertFalse(any((self.inv_old | self.inv_mid).mapped("collection_hold")))
        self.assertTrue(
            self._events(name=f"Payment plan {plan.name} broken: installment of {DAY0} unpaid after 5 grace days")
        )
        self.assertTrue(self.case.activity_ids.filtered(lambda a: plan.name in a.summary))
        self.assertEqual(self.case.stage_id.code, "reminded")
        # dunning resumed on the plan's invoices: the oldest (due 21 January) is 46 days late
        self.assertEqual(self.case.level_id.name, "Second")
        last = self._events(channel="email").filtered("level_id").sorted("id")[-1]
        self.assertIn(self.inv_old, last.invoice_ids)

    # ------------------------------------------------------------------ cancel
    def test_cancel_requires_a_reason_and_lifts_the_hold(self):
        plan = self._activate(self._plan())
        with self.assertRaisesRegex(UserError, "cancellation reason"):
            plan.action_cancel()
        self.assertEqual(plan.state, "active")
        plan.cancel_reason = "Customer went to a debt advisor"
        plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(any((self.inv_old | self.inv_mid).mapped("collection_hold")))
        self.assertEqual(
            self._events(name=f"Payment plan {plan.name} cancelled").note, "Customer went to a debt advisor"
        )

    # ------------------------------------------------------------------ reminders
    def test_installment_reminder_sent_once_days_before(self):
        plan = self._activate(self._plan())
        self.assertTrue(plan.line_ids[0].reminder_sent, "the agreement covers what falls due within the lead time")
        self.assertFalse(plan.line_ids[1].reminder_sent)

        def reminders():
            return self._events(channel="email").filtered(lambda e: "Installment reminder" in e.name)

        self._run(DAY0 + timedelta(days=3))  # second installment due 9 March: 4 days ahead
        self.assertFalse(reminders())
        self._run(DAY0 + timedelta(days=4))  # 3 days ahead
        reminder = reminders()
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.state, "queued")
        mail = reminder.mail_mail_id
        self.assertIn(self.customer, mail.recipient_ids)
        self.assertIn("250.00", mail.body_html)
        self.assertIn("03/09/2026", mail.body_html)
        self.assertTrue(plan.line_ids[1].reminder_sent)
        self._run(DAY0 + timedelta(days=5))
        self.assertEqual(len(reminders()), 1, "each installment is reminded once")

    # ------------------------------------------------------------------ security
    def test_collector_cannot_delete_and_manager_only_drafts(self):
        plan = self._plan()
        with self.assertRaises(AccessError):
            plan.with_user(self.collector).unlink()
        self._activate(plan)
        with self.assertRaisesRegex(UserError, "only draft plans can be deleted"):
            plan.with_user(self.collection_manager).unlink()
        draft = self._plan(self.inv_other)
        draft.with_user(self.collection_manager).unlink()
        self.assertFalse(draft.exists())

    def test_case_button_prefills_the_plan(self):
        action = self.case.action_new_payment_plan()
        with freeze_time(f"{DAY0} 10:00:00"):
            with Form(
                self.env["collection.payment.plan"].with_user(self.collector).with_context(**action["context"])
            ) as form:
                self.assertEqual(form.amount_total, 1250.0)
                form.installment_count = 5
                form.interval = "monthly"
            plan = form.record
        self.assertEqual(plan.case_id, self.case)
        self.assertEqual(plan.invoice_ids, self.inv_old | self.inv_mid | self.inv_other)
        self.assertEqual(plan.line_ids.mapped("amount"), [250.0] * 5)
        self.assertEqual(plan.line_ids[-1].due_date, date(2026, 7, 2))

    def test_plan_covering_every_invoice_keeps_the_case(self):
        customer = self._customer("All In", email="ap@allin.example.com", tz="UTC")
        customer.with_company(self.company_data["company"]).collection_policy_id = self.plan_policy
        with freeze_time(f"{DAY0} 10:00:00"):
            invoice = self._invoice(customer, 20, 300.0)
        case = invoice.collection_case_id
        plan = self._activate(self._plan(invoice, installment_count=3))
        self.assertEqual((case.state, case.stage_id.code), ("open", "plan"), "not closed as paid while on hold")
        self._run(DAY0 + timedelta(days=3))
        self.assertFalse(case.level_id, "nothing to dun while the plan runs")
        self._run(DAY0 + timedelta(days=20))
        self.assertEqual(plan.state, "broken")
        self.assertEqual((case.state, case.stage_id.code), ("open", "reminded"))
        self.assertEqual(case.level_id.name, "Second", "escalation resumes where the invoice's age puts it")
