from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import CollectionsCommon


class WorkflowCommon(CollectionsCommon):
    """A case with two overdue invoices of a company that can write off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "collection_bad_debt_account_id": cls.company_data["default_account_expense"].id,
                "collection_write_off_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        cls.customer = cls._customer("Oscar Freight", email="ap@oscar.example.com")
        cls.customer.with_company(cls.company).collection_policy_id = cls.policy
        cls.invoice = cls._invoice(cls.customer, 20, 600.0)
        cls.invoice_2 = cls._invoice(cls.customer, 15, 400.0)
        cls.env["collection.case"].refresh_cases(company_ids=cls.company.ids)
        cls.today = fields.Date.context_today(cls.env.user)

    def setUp(self):
        super().setUp()
        self.case = self._case(self.customer)
        self.as_collector = self.env(user=self.collector)


@tagged("post_install", "-at_install")
class TestWorkflowFields(WorkflowCommon):
    # ------------------------------------------------------------------ settlement
    def test_collector_cannot_create_an_accepted_settlement(self):
        """The attack: an accepted offer of nothing, that the next run would write off in full."""
        Settlement = self.as_collector["collection.settlement"]
        refused = r"\((state|accepted_on_portal|accept_date)\).*action_accept"
        for vals in ({"state": "accepted"}, {"accepted_on_portal": True}, {"accept_date": str(self.today)}):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, refused):
                Settlement.create({"case_id": self.case.id, "amount_settled": 0.0, **vals})
        with self.assertRaisesRegex(AccessError, r"State \(state\)"):
            Settlement.with_context(default_state="accepted").create({"case_id": self.case.id, "amount_settled": 0.0})
        self.assertFalse(self.env["collection.settlement"].search([("case_id", "=", self.case.id)]))
        self._run_collections(self.today + timedelta(days=1))
        self.assertFalse(self.env["collection.write.off"].search([("case_id", "=", self.case.id)]))
        self.assertEqual(self.case.amount_due, 1000.0)

    def test_collector_cannot_write_the_state_or_the_amount_due_of_a_settlement(self):
        settlement = self.as_collector["collection.settlement"].create(
            {"case_id": self.case.id, "amount_settled": 950.0, "state": "draft"}
        )
        with self.assertRaisesRegex(AccessError, r"State \(state\).*action_offer, action_accept, action_cancel"):
            settlement.write({"state": "accepted"})
        settlement.action_offer()
        self.assertEqual(settlement.state, "offered")
        self.assertEqual(settlement.write_uid, self.collector, "the action keeps the collector as author")
        # a bigger amount due would count the unpaid debt as paid, and write it off at the next run
        with self.assertRaisesRegex(AccessError, r"amount_due"):
            settlement.write({"amount_due": 100000.0})
        with self.assertRaisesRegex(AccessError, r"accepted_on_portal"):
            settlement.write({"accepted_on_portal": True})
        with self.assertRaisesRegex(AccessError, "Only the customer accepts"):
            settlement.action_accept(on_portal=True)
        settlement.action_accept()
        self.assertEqual(settlement.state, "accepted")
        self.assertFalse(settlement.accepted_on_portal)

    def test_settlement_form_creates_a_draft(self):
        # as the case's button opens it
        with Form(self.as_collector["collection.settlement"].with_context(default_case_id=self.case.id)) as form:
            form.amount_settled = 900.0
        self.assertEqual(form.record.state, "draft")

    # ------------------------------------------------------------------ promise
    def test_collector_cannot_set_promise_states(self):
        Promise = self.as_collector["collection.promise"]
        vals = {"case_id": self.case.id, "amount": 500.0, "promised_date": str(self.today + timedelta(days=5))}
        with self.assertRaisesRegex(AccessError, r"State \(state\).*action_confirm"):
            Promise.create({**vals, "state": "open"})
        promise = Promise.create(vals)
        for field_vals in ({"state": "kept"}, {"amount_residual_at_confirm": 1e9}, {"close_date": str(self.today)}):
            with self.subTest(vals=field_vals), self.assertRaises(AccessError):
                promise.write(field_vals)
        promise.action_confirm()
        self.assertEqual(promise.state, "open")
        self.assertEqual(self.case.stage_code, "promised")
        promise.action_cancel("Wrong date")
        self.assertEqual(promise.copy().state, "draft", "a duplicate starts as a draft")

    # ------------------------------------------------------------------ payment plan
    def test_collector_cannot_set_plan_and_installment_states(self):
        Plan = self.as_collector["collection.payment.plan"]
        vals = {"case_id": self.case.id, "invoice_ids": [Command.set(self.invoice.ids)], "installment_count": 2}
        with self.assertRaisesRegex(AccessError, r"State \(state\).*action_activate"):
            Plan.create({**vals, "state": "active"})
        plan = Plan.create(vals)
        with self.assertRaisesRegex(AccessError, r"amount_total"):
            plan.write({"amount_total": 1.0})
        with self.assertRaisesRegex(AccessError, r"\(state\).*run_collections"):
            plan.line_ids.write({"state": "paid"})
        with self.assertRaisesRegex(AccessError, r"amount_paid"):
            plan.line_ids[0].write({"amount_paid": 300.0})
        plan.action_activate()
        self.assertEqual(plan.state, "active")

    # ------------------------------------------------------------------ dispute
    def test_collector_cannot_set_dispute_states(self):
        Dispute = self.as_collector["collection.dispute"]
        with self.assertRaisesRegex(AccessError, r"State \(state\).*action_open"):
            Dispute.create({"invoice_id": self.invoice.id, "state": "open"})
        dispute = Dispute.create({"invoice_id": self.invoice.id})
        with self.assertRaisesRegex(AccessError, r"action_resolve"):
            dispute.write({"state": "resolved"})
        dispute.action_open()
        self.assertEqual(dispute.state, "open")
        self.assertEqual(self.invoice.collection_hold, "dispute")

    # ------------------------------------------------------------------ write-off
    def test_collector_cannot_post_a_write_off_by_writing_its_state(self):
        self.company.collection_write_off_limit = 100.0
        WriteOff = self.as_collector["collection.write.off"]
        vals = {"invoice_ids": [Command.set(self.invoice.ids)], "reason": "Gone"}
        with self.assertRaisesRegex(AccessError, r"State \(state\).*action_post"):
            WriteOff.create({**vals, "state": "posted"})
        write_off = WriteOff.create(vals)
        new_stage = self.env.ref("account_collections.stage_new")
        for field_vals in ({"state": "posted"}, {"previous_stage_id": new_stage.id}):
            with self.subTest(vals=field_vals), self.assertRaises(AccessError):
                write_off.write(field_vals)
        with self.assertRaisesRegex(UserError, "above the"):
            write_off.action_post()  # the limit is the action's to check
        self.assertEqual(write_off.state, "draft")

    # ------------------------------------------------------------------ case
    def test_collector_cannot_write_the_engine_fields_of_a_case(self):
        case = self.case.with_user(self.collector)
        level = self.policy.level_ids[-1]
        for vals in (
            {"level_id": level.id},
            {"next_level_id": False},
            {"next_action_date": str(self.today + timedelta(days=365))},
            {"amount_due": 0.0},
            {"state": "closed"},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, r"run_collections|refresh_cases"):
                case.write(vals)
        self.assertFalse(self.case.level_id)
        case.action_pause(str(self.today + timedelta(days=3)))  # what collectors do instead
        self.assertTrue(self.case.paused_until)

    def test_collector_drags_cases_between_the_working_stages_only(self):
        case = self.case.with_user(self.collector)
        case.stage_id = self.env["collection.stage"]._get_by_code("reminded")
        self.assertIn("Stage moved from New to Reminded", self.case.event_ids.mapped("name"))
        for code in ("agency", "legal", "paid", "written_off"):
            stage = self.env["collection.stage"]._get_by_code(code)
            with self.subTest(code=code), self.assertRaisesRegex(UserError, "cannot be moved to .* by hand"):
                case.write({"stage_id": stage.id})
            # the context key the suite used to pass for its own moves is no way around it
            with self.subTest(code=code), self.assertRaises(UserError):
                case.with_context(collection_stage_by_code=True).write({"stage_id": stage.id})
        self.assertEqual(self.case.stage_code, "reminded")
        self.case._move_to_stage("legal")
        with self.assertRaisesRegex(UserError, "cannot be moved out of Legal"):
            case.write({"stage_id": self.env["collection.stage"]._get_by_code("reminded").id})
        self.assertEqual(self.case.stage_code, "legal")

    def test_a_collectors_stage_move_is_tracked_the_engines_moves_are_logged(self):
        """The chatter tracks the stage a collector gives a case; the level and stage the engine
        gives it are in the collections log, not repeated as tracking."""
        env = self.env(context={})  # with chatter tracking, which the test set-up turns off

        def tracked(field_name):
            self.env.flush_all()
            self.env.cr.flush()  # the tracking values are written when the transaction flushes
            return self.case.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == field_name)

        day = self.today + timedelta(days=1)
        env["collection.case"].run_collections(date=str(day))
        self.assertEqual(self.case.stage_code, "reminded", "the engine ran a level")
        self.assertIn(
            f"Level {self.case.level_id.name} executed: stage moved from New to Reminded",
            self.case.event_ids.mapped("name"),
        )
        self.assertFalse(tracked("level_id") | tracked("stage_id"), "the engine's changes are in the log only")
        self.case.with_env(env).with_user(self.collector).stage_id = self.env["collection.stage"]._get_by_code("new")
        self.assertEqual(
            [(value.old_value_char, value.new_value_char) for value in tracked("stage_id")], [("Reminded", "New")]
        )

    def test_legal_handover_fields_come_from_the_wizard(self):
        case = self.case.with_user(self.collector)
        self.lawyer = self._customer("Lex & Partners")
        with self.assertRaisesRegex(AccessError, r"legal_partner_id.*action_legal_handover"):
            case.write({"legal_partner_id": self.lawyer.id})
        wizard = (
            self.as_collector["collection.legal.handover"]
            .with_context(default_case_id=self.case.id)
            .create({"lawyer_id": self.lawyer.id})
        )
        wizard.action_confirm()
        self.assertEqual(self.case.stage_code, "legal")
        self.assertEqual(self.case.legal_partner_id, self.lawyer)

    # ------------------------------------------------------------------ log
    def test_collector_cannot_write_the_log(self):
        Event = self.as_collector["collection.event"]
        vals = {
            "case_id": self.case.id,
            "partner_id": self.customer.id,
            "company_id": self.company.id,
            "name": "Reminder",
            "channel": "email",
            "state": "queued",
        }
        with self.assertRaises(AccessError):
            Event.create(vals)
        with self.assertRaises(AccessError):
            self.case.with_user(self.collector).write({"event_ids": [Command.create(vals)]})
        event_id = self.case.with_user(self.collector).action_log_call("reached", note="Will pay Friday")
        event = self.env["collection.event"].browse(event_id)
        self.assertEqual((event.channel, event.user_id), ("call", self.collector))
        with self.assertRaises(UserError):  # AccessError is one too
            event.with_user(self.collector).write({"note": "Never called"})
        with self.assertRaises(AccessError):
            event.with_user(self.collector).unlink()
        self.assertFalse(
            self.env["collection.event"].search([("case_id", "=", self.case.id), ("state", "=", "queued")])
        )


@tagged("post_install", "-at_install")
class TestWorkflowFieldsRpc(WorkflowCommon, HttpCase):
    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_accepted_settlement_over_json_rpc_is_refused(self):
        self.authenticate("collector", "collector")
        vals = {"case_id": self.case.id, "state": "accepted", "amount_settled": 0.0, "accepted_on_portal": True}
        with self.assertRaisesRegex(JsonRpcException, "odoo.exceptions.AccessError"):
            self._call_kw("collection.settlement", "create", [vals])
        with self.assertRaisesRegex(JsonRpcException, "odoo.exceptions.AccessError"):
            self._call_kw(
                "collection.settlement",
                "create",
                [{"case_id": self.case.id, "amount_settled": 0.0}],
                {"context": {"default_state": "accepted"}},
            )
        self.assertFalse(self.env["collection.settlement"].search([("case_id", "=", self.case.id)]))
        # a draft offer, then its actions, are what the collector may do
        settlement_id = self._call_kw(
            "collection.settlement", "create", [{"case_id": self.case.id, "amount_settled": 950.0, "state": "draft"}]
        )
        with self.assertRaisesRegex(JsonRpcException, "odoo.exceptions.AccessError"):
            self._call_kw("collection.settlement", "write", [[settlement_id], {"state": "accepted"}])
        self._call_kw("collection.settlement", "action_offer", [[settlement_id]])
        self.assertEqual(self.env["collection.settlement"].browse(settlement_id).state, "offered")

    def test_events_over_json_rpc_are_refused(self):
        self.authenticate("collector", "collector")
        vals = {
            "case_id": self.case.id,
            "partner_id": self.customer.id,
            "company_id": self.company.id,
            "name": "Reminder",
            "channel": "email",
            "state": "queued",
        }
        with self.assertRaisesRegex(JsonRpcException, "odoo.exceptions.AccessError"):
            self._call_kw("collection.event", "create", [vals])
        with self.assertRaisesRegex(JsonRpcException, "odoo.exceptions.AccessError"):
            self._call_kw("collection.case", "write", [[self.case.id], {"level_id": self.policy.level_ids[-1].id}])
        self.assertFalse(self.case.level_id)
