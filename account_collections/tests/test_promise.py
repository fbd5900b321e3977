from datetime import date, timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday


def at(day, hour=10):
    return freeze_time(f"{day} {hour:02d}:00:00")


@tagged("post_install", "-at_install")
class TestPromise(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.promise_policy = cls._email_policy("Promise policy", [("First", 10), ("Second", 30)])
        company.partner_id.tz = "UTC"
        cls.customer = cls._customer("Hotel Tango", email="ap@tango.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.promise_policy
        with at("2026-02-01"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 1000.0)

    # ------------------------------------------------------------------ helpers
    def _run(self, day, hour=10):
        with at(day, hour):
            return self._run_collections(day)

    def _events(self, **filters):
        domain = [("case_id", "=", self._case(self.customer).id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    def _promise(self, day, promised_date, amount, invoices=None, user=None, **vals):
        env = self.env(user=user) if user else self.env
        with at(day):
            self.env["collection.case"].refresh_cases()
            promise = env["collection.promise"].create(
                {
                    "case_id": self._case(self.customer).id,
                    "invoice_ids": [Command.set((invoices or self.invoice).ids)],
                    "amount": amount,
                    "promised_date": promised_date,
                    **vals,
                }
            )
            promise.action_confirm()
        return promise

    def _make_default_policy(self):
        company = self.company_data["company"]
        self.env["collection.policy"].search([("company_id", "=", company.id)]).is_default = False
        self.promise_policy.is_default = True

    def _emails(self):
        return self._events(channel="email").sorted("id")

    # ------------------------------------------------------------------ promises
    def test_promise_holds_the_invoice_and_moves_the_case_to_promised(self):
        self._run(DUE + timedelta(days=10))
        promise = self._promise(DUE + timedelta(days=12), DUE + timedelta(days=35), 1000.0, user=self.collector)
        case = self._case(self.customer)
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.amount_residual_at_confirm, 1000.0)
        self.assertEqual(self.invoice.collection_hold, "promise")
        self.assertEqual(case.state, "open", "a case whose only invoice is promised stays open")
        self.assertEqual(case.stage_id.code, "promised")
        self.assertFalse(case.next_action_date, "nothing to dun while the promise runs")
        self.assertIn("Promise to pay", " ".join(case.event_ids.mapped("name")))
        self.assertEqual(self._run(DUE + timedelta(days=30))["cases"], 0, "no reminder while promised")
        self.assertEqual(case.level_id.name, "First")

    def test_promise_kept_by_a_payment_before_the_date(self):
        self._run(DUE + timedelta(days=10))
        promise = self._promise(DUE + timedelta(days=12), DUE + timedelta(days=20), 400.0)
        with at(DUE + timedelta(days=15)):
            self._pay(self.invoice, amount=300.0)
        self._run(DUE + timedelta(days=16))
        self.assertEqual(promise.state, "open", "300 of the 400 promised: not kept yet")
        with at(DUE + timedelta(days=18)):
            self._pay(self.invoice, amount=100.0)
        self._run(DUE + timedelta(days=19))
        case = self._case(self.customer)
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.close_date, DUE + timedelta(days=19))
        self.assertFalse(self.invoice.collection_hold, "the hold is lifted")
        self.assertEqual(case.stage_id.code, "reminded", "back to the dunning track")
        self.assertTrue(self._events(name="Promise kept: $\xa0400.00 paid since 2026-03-14"))
        self._run(DUE + timedelta(days=30))
        self.assertEqual(self._emails()[-1].level_id.name, "Second", "the rest is dunned again")

    def test_promise_broken_after_grace_resumes_escalation(self):
        self._run(DUE + timedelta(days=10))
        self.assertEqual(len(self._emails()), 1)
        promise = self._promise(
            DUE + timedelta(days=12), DUE + timedelta(days=35), 1000.0, grace_days=3, user=self.collector
        )
        case = self._case(self.customer)
        case.user_id = self.collector
        self._run(DUE + timedelta(days=30))
        self._run(DUE + timedelta(days=38))
        self.assertEqual(promise.state, "open", "still within the grace days")
        self.assertEqual(len(self._emails()), 1, "no reminder while the promise holds")
        counts = self._run(DUE + timedelta(days=39))
        self.assertEqual(promise.state, "broken")
        self.assertFalse(self.invoice.collection_hold)
        self.assertTrue(
            self._events(name="Promise broken: $\xa01,000.00 was due by 2026-04-06 (+3 days), $\xa00.00 paid")
        )
        activity = case.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("Promise to pay broken", activity.summary)
        self.assertEqual(counts["queued"], 1, "escalation resumes in the same run")
        self.assertEqual(self._emails()[-1].level_id.name, "Second", "from the level reached, not from the start")
        self.assertEqual(case.stage_id.code, "reminded")
        self.assertEqual(case.state, "open")

    def test_promise_pauses_dunning_on_the_covered_invoices_only(self):
        with at("2026-02-01"):
            other = self._invoice(self.customer, (date(2026, 2, 1) - DUE).days, 250.0)
        self._promise(DUE + timedelta(days=5), DUE + timedelta(days=20), 1000.0)
        self.assertEqual(self._case(self.customer).amount_overdue, 250.0)
        self._run(DUE + timedelta(days=10))
        body = self._emails().mail_mail_id.body_html
        self.assertIn(other.name, body)
        self.assertNotIn(self.invoice.name, body, "the promised invoice is left out of the reminder")
        skipped = self._events(reason_code="promised")
        self.assertEqual(skipped.invoice_ids, self.invoice)

    def test_cancel_needs_a_reason_and_resumes_dunning(self):
        promise = self._promise(DUE + timedelta(days=5), DUE + timedelta(days=20), 500.0)
        with self.assertRaisesRegex(UserError, "Cancellation Reason"):
            promise.action_cancel()
        with at(DUE + timedelta(days=6)):
            promise.action_cancel("Customer withdrew the promise")
        self.assertEqual(promise.state, "cancelled")
        self.assertFalse(self.invoice.collection_hold)
        self.assertTrue(self._events(name="Promise cancelled: Customer withdrew the promise"))
        self.assertEqual(self._run(DUE + timedelta(days=10))["queued"], 1)

    def test_promise_terms_are_validated(self):
        self.company_data["company"].collection_promise_max_days = 10
        day = DUE + timedelta(days=5)
        with self.assertRaisesRegex(ValidationError, "is not after today"):
            self._promise(day, day, 100.0)
        with self.assertRaisesRegex(ValidationError, "is not after today"):
            self._promise(day, day - timedelta(days=1), 100.0)
        with self.assertRaisesRegex(ValidationError, "more than 10 days away"):
            self._promise(day, day + timedelta(days=11), 100.0)
        with self.assertRaisesRegex(ValidationError, "more than the .*1,000.00 the covered invoices still owe"):
            self._promise(day, day + timedelta(days=5), 1000.01)
        with self.assertRaisesRegex(ValidationError, "must be more than zero"):
            self._promise(day, day + timedelta(days=5), 0.0)
        promise = self._promise(day, day + timedelta(days=10), 1000.0)
        with self.assertRaisesRegex(ValidationError, "already covered by the open promise"):
            self._promise(day, day + timedelta(days=5), 100.0)
        with self.assertRaisesRegex(UserError, "is confirmed: its terms"):
            promise.amount = 10.0

    # ------------------------------------------------------------------ calls
    def _log_call_wizard(self, day, user=None, **vals):
        env = self.env(user=user) if user else self.env
        with at(day):
            self.env["collection.case"].refresh_cases()
            case = self._case(self.customer)
            form = Form(env["collection.log.call"].with_context(active_model="collection.case", active_id=case.id))
            for name, value in vals.items():
                setattr(form, name, value)
            wizard = form.save()
            return wizard.action_confirm()

    def test_log_call_wizard_logs_a_call_event_and_a_follow_up(self):
        day = DUE + timedelta(days=5)
        self._log_call_wizard(
            day, user=self.collector, outcome="no_answer", note="Voicemail", follow_up_date=day + timedelta(days=2)
        )
        call = self._events(channel="call")
        self.assertRecordValues(
            call,
            [{"outcome": "no_answer", "note": "Voicemail", "direction": "outbound", "state": "sent"}],
        )
        self.assertEqual(call.user_id, self.collector)
        activity = self._case(self.customer).activity_ids
        self.assertEqual((activity.date_deadline, activity.user_id), (day + timedelta(days=2), self.collector))

    def test_log_call_with_a_promise_opens_the_promise_prefilled(self):
        with at("2026-02-01"):
            other = self._invoice(self.customer, (date(2026, 2, 1) - DUE).days, 250.0)
        action = self._log_call_wizard(DUE + timedelta(days=5), outcome="promise", note="Pays on Friday")
        self.assertEqual(action["res_model"], "collection.promise")
        context = action["context"]
        self.assertEqual(context["default_case_id"], self._case(self.customer).id)
        self.assertEqual(context["default_amount"], 1250.0)
        self.assertEqual(context["default_call_event_id"], self._events(channel="call").id)
        with at(DUE + timedelta(days=5)):
            form = Form(self.env["collection.promise"].with_context(**context))
            form.promised_date = DUE + timedelta(days=12)
            promise = form.save()
            promise.action_confirm()
        self.assertEqual(promise.invoice_ids, self.invoice | other)
        self.assertEqual(promise.note, "Pays on Friday")
        self.assertEqual(self._events(outcome="promise", channel="system").invoice_ids, self.invoice | other)

    def test_logged_call_counts_toward_the_weekly_cap(self):
        self.company_data["company"].collection_weekly_cap = 1
        self._log_call_wizard(DUE + timedelta(days=8), outcome="reached")
        counts = self._run(DUE + timedelta(days=10))
        self.assertEqual((counts["skipped"], counts["queued"]), (1, 0))
        self.assertEqual(self._events(state="skipped").reason_code, "cap")

    def test_inbound_call_does_not_count_toward_the_weekly_cap(self):
        self.company_data["company"].collection_weekly_cap = 1
        self._log_call_wizard(DUE + timedelta(days=8), outcome="reached", direction="inbound")
        self.assertEqual(self._run(DUE + timedelta(days=10))["queued"], 1)

    def test_log_call_from_a_partner_without_open_case(self):
        stranger = self._customer("No Debts Ltd")
        wizard = self.env["collection.log.call"].with_context(active_model="res.partner", active_id=stranger.id)
        with self.assertRaisesRegex(UserError, "No Debts Ltd has no open collection case"):
            wizard.default_get(["case_id"])
        with at(DUE + timedelta(days=5)):
            self.env["collection.case"].refresh_cases()
        defaults = (
            self.env["collection.log.call"]
            .with_context(collection_partner_id=self.customer.id)
            .default_get(["case_id", "direction"])
        )
        self.assertEqual(defaults["case_id"], self._case(self.customer).id)
        self.assertEqual(defaults["direction"], "outbound")

    def test_action_log_call_api(self):
        with at(DUE + timedelta(days=3)):
            self.env["collection.case"].refresh_cases()
            case = self._case(self.customer)
            event_id = case.action_log_call("refused", "Says the goods never arrived")
        self.assertIsInstance(event_id, int)
        event = self.env["collection.event"].browse(event_id)
        self.assertRecordValues(
            event,
            [{"case_id": case.id, "channel": "call", "outcome": "refused", "note": "Says the goods never arrived"}],
        )
        with self.assertRaisesRegex(UserError, "reached, no_answer, promise, refused, wrong_number"):
            case.action_log_call("maybe", "?")

    # ------------------------------------------------------------------ worklist
    def test_worklist_ranks_bigger_older_riskier_first(self):
        self._make_default_policy()
        with at(DUE):
            small = self._customer("Small Recent")
            self._invoice(small, 5, 100.0)
            big = self._customer("Big Old")
            self._invoice(big, 90, 5000.0)
            risky = self._customer("Small Risky")
            self._invoice(risky, 5, 100.0)
        cases = self._case(small) | self._case(big) | self._case(risky)
        self.assertEqual(cases.sorted("priority_score", reverse=True)[0], self._case(big))
        self.assertEqual(self._case(small).priority_score, self._case(risky).priority_score)
        risky.risk_score = 90
        self.assertGreater(self._case(risky).priority_score, self._case(small).priority_score)
        with at(DUE):
            self._invoice(small, 5, 9900.0)
        self.assertGreater(
            self._case(small).priority_score, self._case(risky).priority_score, "the refresh re-ranks the case"
        )

    def test_my_queue_shows_the_collector_own_cases_first_by_default(self):
        self._make_default_policy()
        with at(DUE):
            mine = self._customer("Mine")
            self._invoice(mine, 20, 100.0)
            theirs = self._customer("Theirs")
            self._invoice(theirs, 20, 5000.0)
            nobody = self._customer("Nobody")
            self._invoice(nobody, 20, 300.0)
        self._case(mine).user_id = self.collector
        self._case(theirs).user_id = self.collection_manager
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_worklist")
        defaults = {
            key.removeprefix("search_default_")
            for key, value in safe_eval(action["context"]).items()
            if key.startswith("search_default_") and value
        }
        Case = self.env["collection.case"].with_user(self.collector)
        search = etree.fromstring(Case.get_view(False, "search")["arch"])
        list_id = self.ref("account_collections.view_collection_case_list_worklist")
        self.assertIn((list_id, "list"), [tuple(view) for view in action["views"]])
        order = etree.fromstring(Case.get_view(list_id, "list")["arch"]).get("default_order")
        self.assertTrue(order.startswith("priority_score desc"))

        def filter_domain(name, user):
            node = search.find(f".//filter[@name='{name}']")
            return safe_eval(node.get("domain"), {"uid": user.id})

        self.assertEqual(defaults, {"open", "mine"})
        queue = Case.search(filter_domain("open", self.collector) + filter_domain("mine", self.collector), order=order)
        self.assertEqual(queue.partner_id, mine, "only the collector's own cases")
        # the manager adds Unassigned: same group of filters, so either
        manager = self.collection_manager
        either = ["|"] + filter_domain("mine", manager) + filter_domain("unassigned", manager)
        found = Case.with_user(manager).search(either + [("partner_id", "in", (mine | theirs | nobody).ids)])
        self.assertEqual(found.partner_id, theirs | nobody)
