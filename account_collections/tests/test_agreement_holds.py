from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import Form, tagged
from odoo.tools.misc import file_path

from odoo.addons.account_collections.models.account_move import HOLD_SOURCES
from odoo.addons.mail.tests.common import MockEmail

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
DAY = DUE + timedelta(days=12)


def at(day, hour=10):
    return freeze_time(f"{day} {hour:02d}:00:00")


@tagged("post_install", "-at_install")
class TestAgreementHolds(CollectionsCommon, MockEmail):
    """Holds, stages and contacts as the agreements and the collectors' buttons leave them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.hold_policy = cls._email_policy("Hold policy", [("First", 10), ("Second", 30)])
        cls.customer = cls._customer("Oscar Outfitters", email="ap@oscar.example.com", tz="UTC")
        cls.customer.with_company(cls.company).collection_policy_id = cls.hold_policy
        with at("2026-02-01"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 1000.0)
            cls.invoice2 = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 400.0)
        cls.lawyer = cls.env["res.partner"].create(
            {"name": "Maître Lex", "email": "lex@law.example.com", "phone": "+33 1 23 45 67 89"}
        )

    # ------------------------------------------------------------------ helpers
    def _run(self, day, hour=10):
        with at(day, hour):
            return self._run_collections(day)

    def _reminded_case(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self.assertEqual(case.level_id.name, "First")
        return case

    def _promise(self, case, promised_date, invoices=None, day=DAY):
        with at(day):
            promise = (
                self.env["collection.promise"]
                .with_user(self.collector)
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set((invoices or self.invoice).ids)],
                        "amount": 100.0,
                        "promised_date": promised_date,
                    }
                )
            )
            promise.action_confirm()
        return promise

    def _dispute(self, case, invoice):
        with at(DAY):
            dispute = (
                self.env["collection.dispute"]
                .with_user(self.collector)
                .create({"case_id": case.id, "invoice_id": invoice.id, "reason": "quality", "amount": 100.0})
            )
            dispute.action_open()
        return dispute

    def _plan(self, case, invoices):
        with at(DAY):
            plan = (
                self.env["collection.payment.plan"]
                .with_user(self.collector)
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(invoices.ids)],
                        "start_date": DAY,
                        "installment_count": 2,
                        "interval": "weekly",
                    }
                )
            )
            plan.with_context(collection_date=str(DAY)).action_activate()
        return plan

    def _offer(self, case, invoices):
        with at(DAY):
            settlement = (
                self.env["collection.settlement"]
                .with_user(self.collection_manager)
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(invoices.ids)],
                        "amount_settled": self.currency_round(sum(invoices.mapped("amount_residual")) * 0.95),
                        "deadline": DAY + timedelta(days=14),
                    }
                )
            )
            settlement.action_offer()
        return settlement

    def currency_round(self, amount):
        return self.company.currency_id.round(amount)

    def _events(self, case, **filters):
        return case.event_ids.filtered(lambda e: all(e[key] == value for key, value in filters.items()))

    # ------------------------------------------------------------------ item 8: one rule for the holds
    def test_a_dispute_leaves_the_settlement_hold_standing(self):
        case = self._reminded_case()
        settlement = self._offer(case, self.invoice)
        self.assertEqual(self.invoice.collection_hold, "settlement")
        dispute = self._dispute(case, self.invoice)
        self.assertEqual(self.invoice.collection_hold, "dispute", "the dispute shows while both stand")
        dispute.with_user(self.collector).resolution = "The quality was as ordered."
        with at(DAY):
            dispute.with_user(self.collector).action_reject()
        self.assertEqual(settlement.state, "offered")
        self.assertEqual(self.invoice.collection_hold, "settlement", "the offer still stands: still on hold")
        self.assertNotIn(self.invoice, case.dunning_invoice_ids)

    def test_a_promise_is_refused_on_an_invoice_under_a_plan_as_a_dispute_is(self):
        case = self._reminded_case()
        plan = self._plan(case, self.invoice)
        self.assertEqual(self.invoice.collection_hold, "plan")
        with self.assertRaisesRegex(ValidationError, f"already covered by the open payment plan {plan.name}"):
            self._promise(case, DAY + timedelta(days=10))
        with self.assertRaisesRegex(UserError, "already covered by the open payment plan"):
            self._dispute(case, self.invoice)
        self.assertFalse(self.env["collection.promise"].search([("case_id", "=", case.id)]))
        self.assertEqual(self.invoice.collection_hold, "plan")

    def test_a_promise_is_refused_on_a_disputed_invoice(self):
        case = self._reminded_case()
        self._dispute(case, self.invoice)
        with self.assertRaisesRegex(ValidationError, "already covered by the open dispute"):
            self._promise(case, DAY + timedelta(days=10))
        self.assertEqual(self.invoice.collection_hold, "dispute")

    def test_the_hold_ends_with_the_last_agreement_on_the_invoice(self):
        case = self._reminded_case()
        settlement = self._offer(case, self.invoice)
        dispute = self._dispute(case, self.invoice)
        with at(DAY):
            settlement.with_user(self.collection_manager).action_cancel(reason="Customer refused")
        self.assertEqual(self.invoice.collection_hold, "dispute", "the dispute still stands")
        dispute.resolution = "Explained"
        with at(DAY):
            dispute.with_user(self.collector).action_resolve()
        self.assertFalse(self.invoice.collection_hold)
        self.assertIn(self.invoice, case.dunning_invoice_ids)

    def test_broken_promises_are_limited_per_case(self):
        self.assertEqual(self.company.collection_promise_max_broken, 2, "the default limit")
        case = self._reminded_case()
        day = DAY
        for _broken in range(2):
            promise = self._promise(case, day + timedelta(days=5), day=day)
            day += timedelta(days=10)
            self._run(day)
            self.assertEqual(promise.state, "broken")
        with self.assertRaisesRegex(ValidationError, "already has 2 broken promises to pay"):
            self._promise(case, day + timedelta(days=5), day=day)
        self.assertFalse(self.env["collection.promise"].search([("case_id", "=", case.id), ("state", "=", "open")]))
        self.env["res.config.settings"].create({"collection_promise_max_broken": 3}).execute()
        self.assertEqual(self.company.collection_promise_max_broken, 3)
        self.assertEqual(self._promise(case, day + timedelta(days=5), day=day).state, "open")

    # ------------------------------------------------------------------ the hold follows the agreements
    def test_the_hold_shows_the_first_agreement_standing_in_the_documented_priority(self):
        self.assertEqual([source[0] for source in HOLD_SOURCES], ["dispute", "settlement", "plan", "promise"])
        case = self._reminded_case()
        # all four on one invoice, as superuser (the actions refuse most of these pairs: the hold still
        # has one answer)
        with at(DAY):
            agreements = {
                "promise": self.env["collection.promise"]
                .sudo()
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(self.invoice.ids)],
                        "amount": 100.0,
                        "promised_date": DAY + timedelta(days=5),
                        "state": "open",
                    }
                ),
            }
            self.assertEqual(self.invoice.collection_hold, "promise", "an agreement created live holds at once")
            agreements["plan"] = (
                self.env["collection.payment.plan"]
                .sudo()
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(self.invoice.ids)],
                        "start_date": DAY,
                        "installment_count": 2,
                        "interval": "weekly",
                        "state": "active",
                    }
                )
            )
            self.assertEqual(self.invoice.collection_hold, "plan")
            agreements["settlement"] = (
                self.env["collection.settlement"]
                .sudo()
                .create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(self.invoice.ids)],
                        "amount_settled": 900.0,
                        "deadline": DAY + timedelta(days=14),
                        "state": "offered",
                    }
                )
            )
            self.assertEqual(self.invoice.collection_hold, "settlement")
            agreements["dispute"] = (
                self.env["collection.dispute"]
                .sudo()
                .create(
                    {
                        "case_id": case.id,
                        "invoice_id": self.invoice.id,
                        "reason": "quality",
                        "amount": 100.0,
                        "state": "open",
                    }
                )
            )
        self.assertEqual(self.invoice.collection_hold, "dispute")
        self.assertFalse(self.invoice2.collection_hold, "the other invoice is covered by none of them")
        # ending the one that shows uncovers the next
        for ended, state, shown in (
            ("dispute", "rejected", "settlement"),
            ("settlement", "cancelled", "plan"),
            ("plan", "cancelled", "promise"),
            ("promise", "cancelled", False),
        ):
            agreements[ended].write({"state": state})
            self.assertEqual(self.invoice.collection_hold, shown, f"{ended} {state}")

    def test_an_agreements_action_puts_the_invoice_on_hold_and_refreshes_the_case(self):
        case = self._reminded_case()
        owed = self.invoice.amount_residual + self.invoice2.amount_residual
        self.assertEqual(case.amount_overdue, owed)
        promise = self._promise(case, DAY + timedelta(days=10))
        self.assertEqual(self.invoice.collection_hold, "promise")
        self.assertEqual(
            case.amount_overdue, self.invoice2.amount_residual, "the case no longer counts the held invoice as overdue"
        )
        self.assertEqual(case.dunning_invoice_ids, self.invoice2)
        with at(DAY):
            promise.with_user(self.collector).action_cancel(reason="Customer changed their mind")
        self.assertFalse(self.invoice.collection_hold, "the hold ends with the promise")
        self.assertEqual(case.amount_overdue, owed, "and the case counts the invoice as overdue again")
        self.assertEqual(case.dunning_invoice_ids, self.invoice | self.invoice2)

    def test_a_higher_agreement_ending_uncovers_the_lower_one_through_the_actions(self):
        case = self._reminded_case()
        settlement = self._offer(case, self.invoice)
        dispute = self._dispute(case, self.invoice)
        self.assertEqual(self.invoice.collection_hold, "dispute")
        dispute.resolution = "Explained"
        with at(DAY):
            dispute.with_user(self.collector).action_resolve()
        self.assertEqual(self.invoice.collection_hold, "settlement", "the offer shows once the dispute ended")
        with at(DAY):
            settlement.with_user(self.collection_manager).action_cancel(reason="Customer refused")
        self.assertFalse(self.invoice.collection_hold)

    def test_nobody_sets_the_hold_by_hand(self):
        case = self._reminded_case()
        self._promise(case, DAY + timedelta(days=10))
        for env in (self.env, self.env(su=True), self.collection_manager.sudo().env):
            with self.subTest(user=env.user.login, su=env.su), self.assertRaisesRegex(AccessError, "collection_hold"):
                self.invoice.with_env(env).write({"collection_hold": False})
        with self.assertRaisesRegex(AccessError, "collection_hold"):
            self.invoice2.sudo().write({"collection_hold": "dispute"})
        with self.assertRaisesRegex(AccessError, "collection_hold"):
            self.env["account.move"].create(
                {"move_type": "out_invoice", "partner_id": self.customer.id, "collection_hold": "promise"}
            )
        self.invoice.invalidate_recordset()
        self.assertEqual((self.invoice | self.invoice2).mapped("collection_hold"), ["promise", False])
        self.assertTrue(self.env["account.move"].fields_get(["collection_hold"])["collection_hold"]["readonly"])

    def test_the_hold_is_computed_with_one_query_per_kind_of_agreement_for_a_batch(self):
        with at(DAY):
            invoices = self.invoice | self.invoice2
            for amount in (10.0, 20.0, 30.0, 40.0):
                invoices |= self._invoice(self.customer, 5, amount)
        field = self.env["account.move"]._fields["collection_hold"]

        def queries(moves):
            self.env.flush_all()
            self.env.invalidate_all()
            self.env.add_to_compute(field, moves)
            count = self.env.cr.sql_log_count
            moves._recompute_recordset(["collection_hold"])
            return self.env.cr.sql_log_count - count

        self.assertEqual(queries(invoices), queries(self.invoice), "as many queries for six invoices as for one")
        self.assertLessEqual(queries(invoices), len(HOLD_SOURCES))

    def test_the_upgrade_keeps_the_holds_and_restores_lost_ones(self):
        case = self._reminded_case()
        self._promise(case, DAY + timedelta(days=10))
        self._offer(case, self.invoice2)
        with at(DAY):
            unheld = self._invoice(self.customer, 5, 50.0)
        migration = load_script(file_path("account_collections/migrations/18.0.2.0.0/post-hold.py"), "post_hold")
        self.assertEqual(migration.recompute_holds(self.env), {}, "holds that follow the agreements stay as they are")
        self.assertEqual(
            (self.invoice | self.invoice2 | unheld).mapped("collection_hold"), ["promise", "settlement", False]
        )
        # the table as earlier code could leave it: holds lost, a hold no agreement explains
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET collection_hold = NULL WHERE id = ANY(%s)", [(self.invoice | self.invoice2).ids]
        )
        self.env.cr.execute("UPDATE account_move SET collection_hold = 'dispute' WHERE id = %s", [unheld.id])
        self.env.invalidate_all()
        with self.assertLogs("post_hold", level="WARNING") as logs:
            migration.migrate(self.env.cr, "18.0.1.0.0")
        self.assertIn("3 invoices", logs.output[0])
        self.assertIn(f"{unheld.name} (dispute -> none)", logs.output[0])
        self.assertEqual(
            (self.invoice | self.invoice2 | unheld).mapped("collection_hold"), ["promise", "settlement", False]
        )
        self.env.cr.execute(
            "SELECT id, collection_hold FROM account_move WHERE id = ANY(%s)",
            [(self.invoice | self.invoice2 | unheld).ids],
        )
        self.assertEqual(
            dict(self.env.cr.fetchall()),
            {self.invoice.id: "promise", self.invoice2.id: "settlement", unheld.id: None},
            "written to the table",
        )

    # ------------------------------------------------------------------ item 6: handed-over cases keep their stage
    def _legal_case(self):
        case = self._reminded_case()
        with at(DAY):
            case._legal_handover(self.lawyer, note="Claim filed")
        self.assertEqual(case.stage_code, "legal")
        return case

    def test_a_legal_case_shows_no_next_reminder(self):
        case = self._reminded_case()
        self.assertEqual(case.next_level_id.name, "Second")
        with at(DAY):
            case._legal_handover(self.lawyer, note="Claim filed")
        self.assertFalse(case.next_level_id)
        self.assertFalse(case.next_action_date)
        with at(DAY):
            self.env["collection.case"].refresh_cases()
        case.invalidate_recordset()
        self.assertFalse(case.next_level_id, "a refresh gives it no next level either")
        self.assertFalse(case.next_action_date)

    def test_agreements_never_move_a_legal_case(self):
        case = self._legal_case()
        promise = self._promise(case, DAY + timedelta(days=5))
        self.assertEqual(case.stage_code, "legal", "a promise does not take the case back")
        self.assertEqual(self.invoice.collection_hold, "promise")
        self._run(DAY + timedelta(days=10))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(case.stage_code, "legal", "nor does its breaking: no dunning restarts")
        plan = self._plan(case, self.invoice2)
        self.assertEqual(case.stage_code, "legal")
        plan.cancel_reason = "Changed our mind"
        with at(DAY):
            plan.with_user(self.collector).action_cancel()
        self._dispute(case, self.invoice)
        self.assertEqual(case.stage_code, "legal")
        self._dispute(case, self.invoice2)
        self.assertEqual(case.stage_code, "legal", "every invoice disputed: still legal")
        self.assertFalse(case.next_level_id)

    # ------------------------------------------------------------------ item 7: the buttons' guards
    def test_send_next_reminder_refuses_a_legal_case(self):
        case = self._legal_case()
        case.sudo().next_level_id = self.hold_policy.level_ids[-1]  # as the demo data left them
        with at(DAY), self.assertRaisesRegex(UserError, "is Legal .*Maître Lex.*Recall the case first"):
            case.with_user(self.collector).action_send_next_reminder()
        self.assertFalse(self._events(case, channel="email", level_id=self.hold_policy.level_ids[-1]))

    def test_send_next_reminder_is_deferred_outside_the_window_and_over_the_cap(self):
        case = self._reminded_case()
        with at(DAY, hour=22):
            case.with_user(self.collector).action_send_next_reminder()
        deferred = self._events(case, state="skipped", reason_code="window")
        self.assertEqual(len(deferred), 1)
        self.assertEqual(case.level_id.name, "First", "not sent at night")
        self.company.collection_weekly_cap = 1
        with at(DAY):
            case.with_user(self.collector).action_send_next_reminder()
        self.assertTrue(self._events(case, state="skipped", reason_code="cap"))
        self.assertEqual(case.level_id.name, "First", "not sent over the weekly cap")

    def test_send_next_reminder_skips_a_do_not_contact_customer(self):
        case = self._reminded_case()
        self.customer.do_not_contact = True
        with at(DAY):
            case.with_user(self.collector).action_send_next_reminder()
        email = self._events(case, channel="email", level_id=case.level_id)
        self.assertEqual(case.level_id.name, "Second")
        self.assertEqual((email.state, email.reason_code), ("skipped", "do_not_contact"))
        self.assertFalse(email.mail_mail_id)

    def _statement_composer(self, case, user):
        action = case.with_user(user).action_send_statement()
        return Form(self.env["mail.compose.message"].with_user(user).with_context(**action["context"]))

    def test_send_statement_is_guarded(self):
        case = self._reminded_case()
        self.customer.collection_email_opt_out = True
        with at(DAY), self.assertRaisesRegex(UserError, "opted out of email"):
            case.with_user(self.collector).action_send_statement()
        self.customer.collection_email_opt_out = False
        with at(DAY, hour=23), self.assertRaisesRegex(UserError, "Outside the contact window"):
            case.with_user(self.collector).action_send_statement()
        with at(DAY):
            composer = self._statement_composer(case, self.collector).save()
        self.customer.do_not_contact = True
        with at(DAY), self.assertRaisesRegex(UserError, "do not contact"), self.mock_mail_gateway():
            composer._action_send_mail()
        self.assertFalse(self._events(case, name="Customer statement emailed"))

    def test_send_statement_is_logged_on_the_case(self):
        case = self._reminded_case()
        # an accountant: posting on a customer takes the right to edit customers
        with at(DAY):
            composer = self._statement_composer(case, self.env.user).save()
            with self.mock_mail_gateway():
                composer.action_send_mail()
        event = self._events(case, name="Customer statement emailed")
        self.assertEqual(len(event), 1)
        self.assertEqual((event.channel, event.direction, event.state), ("email", "outbound", "sent"))
        self.assertEqual(event.mail_message_id.model, "res.partner")
        self.assertEqual(event.invoice_ids, self.invoice | self.invoice2)
        self.assertEqual(event.user_id, self.env.user)

    # ------------------------------------------------------------------ item 9: the customer's collector
    def test_cases_take_and_follow_the_customers_collector(self):
        kept = self._reminded_case()
        other = self._customer("Papa Print", email="ap@papa.example.com", tz="UTC")
        other.with_company(self.company).collection_user_id = self.collector
        with at(DAY):
            self._invoice(other, 20, 300.0)
        case = self._case(other)
        self.assertEqual(case.user_id, self.collector, "the new case is in the collector's queue")
        self.assertIn(
            case, self.env["collection.case"].with_user(self.collector).search([("user_id", "=", self.collector.id)])
        )
        kept.user_id = self.collection_manager  # assigned by hand
        other.with_company(self.company).collection_user_id = self.collection_manager
        self.assertEqual(case.user_id, self.collection_manager, "the case follows the customer's collector")
        self.assertIn("Assigned to Marc Manager", case.event_ids.mapped("name"))
        self.customer.with_company(self.company).collection_user_id = self.collector
        self.assertEqual(kept.user_id, self.collection_manager, "a case assigned by hand stays with its collector")
