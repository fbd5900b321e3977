import random
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CollectionsCommon

DAY = date(2026, 3, 2)  # a Monday


def at(day):
    return freeze_time(f"{day} 10:00:00")


class ForecastCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"

    @classmethod
    def _paid_history(cls, partner, lates, first_due, step=40):
        """Invoices of ``partner`` due every ``step`` days from ``first_due``, each paid ``lates[i]``
        days after its due date (negative: early), oldest first: the last one is the last paid."""
        for index, late in enumerate(lates):
            due = first_due + timedelta(days=index * step)
            with at(due - timedelta(days=5)):
                invoice = cls._invoice(partner, -5, 100.0)  # dated 6 days before its due date
            cls._pay(invoice, date=due + timedelta(days=late))
            assert invoice.payment_state in ("paid", "in_payment"), invoice.payment_state

    def _run(self, day):
        with at(day):
            return self._run_collections(day)


@tagged("post_install", "-at_install")
class TestExpectedDates(ForecastCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_bad_debt_account_id": cls.company_data["default_account_expense"].id,
                "collection_write_off_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        # the regular customer paid 30 days late four times, then 2 days late the last three times
        cls.regular = cls._customer("Regular Ltd", email="ap@regular.example.com")
        cls._paid_history(cls.regular, [30, 30, 30, 30, 2, 2, 2], DAY - timedelta(days=330))
        # the newcomer paid only twice, 40 days late
        cls.newcomer = cls._customer("Newcomer Ltd", email="ap@newcomer.example.com")
        cls._paid_history(cls.newcomer, [40, 40], DAY - timedelta(days=120))
        cls.stranger = cls._customer("Stranger Ltd", email="ap@stranger.example.com")
        cls.promiser = cls._customer("Promiser Ltd", email="ap@promiser.example.com")
        cls.planner = cls._customer("Planner Ltd", email="ap@planner.example.com")
        cls.settler = cls._customer("Settler Ltd", email="ap@settler.example.com")
        with at(DAY):
            cls.regular_open = cls._invoice(cls.regular, -10, 500.0)  # due DAY + 10
            cls.regular_late = cls._invoice(cls.regular, 20, 300.0)  # due DAY - 20
            cls.newcomer_open = cls._invoice(cls.newcomer, -10, 200.0)
            cls.stranger_open = cls._invoice(cls.stranger, -5, 100.0)
            cls.promised = cls._invoice(cls.promiser, 15, 800.0)
            cls.plan_old = cls._invoice(cls.planner, 40, 600.0)
            cls.plan_new = cls._invoice(cls.planner, 20, 400.0)
            cls.settled = cls._invoice(cls.settler, 30, 1000.0)
            cls.env["collection.case"].refresh_cases()

    def _promise(self, invoice, promised_date):
        with at(DAY):
            promise = self.env["collection.promise"].create(
                {
                    "case_id": invoice.collection_case_id.id,
                    "invoice_ids": [Command.set(invoice.ids)],
                    "amount": invoice.amount_residual,
                    "promised_date": promised_date,
                }
            )
            promise.action_confirm()
        return promise

    def _plan(self):
        invoices = self.plan_old | self.plan_new
        with at(DAY):
            plan = self.env["collection.payment.plan"].create(
                {
                    "case_id": invoices.collection_case_id.id,
                    "invoice_ids": [Command.set(invoices.ids)],
                    "start_date": DAY + timedelta(days=1),
                    "installment_count": 4,
                    "interval": "weekly",
                }
            )
            plan.with_context(collection_date=DAY).action_activate()
        return plan

    def _settlement(self, deadline):
        with at(DAY):
            settlement = self.env["collection.settlement"].create(
                {
                    "case_id": self.settled.collection_case_id.id,
                    "amount_settled": 900.0,
                    "deadline": deadline,
                }
            )
            settlement.action_offer()
        return settlement

    def assertExpected(self, invoice, day, source, today=DAY):
        """The expected date the invoice shows on ``today`` (never before it), and its source."""
        invoice = invoice.with_context(collection_date=today)
        self.assertEqual(
            (invoice.collection_expected_date, invoice.collection_expected_source),
            (day, source),
            f"{invoice.partner_id.name}, due {invoice.invoice_date_due}",
        )

    # ------------------------------------------------------------------ behaviour
    def test_behaviour_is_the_recency_weighted_median_of_the_last_paid(self):
        self._run(DAY)
        # days late 2, 2, 2 (weights 12, 11, 10: 33 of 63) weigh more than the four older 30s
        # (9, 8, 7, 6), whose plain median would give 30 days
        self.assertExpected(self.regular_open, DAY + timedelta(days=12), "behaviour")

    def test_a_refresh_linking_many_invoices_sets_their_expected_dates_with_the_links(self):
        # "many": a batch's worth (the daily run's first refresh of a ledger); one invoice linked by
        # an interactive refresh waits for the run
        with at(DAY):
            single = self._invoice(self.regular, -10, 250.0)
            self.env["collection.case"].refresh_cases()
        self.assertFalse(single.collection_expected_base_date, "a few invoices: the run sets them")
        self.env["ir.config_parameter"].sudo().set_param("account_collections.batch_size", "1")
        with at(DAY):
            invoice = self._invoice(self.regular, -10, 250.0)
            self.env["collection.case"].refresh_cases()
        self.assertExpected(invoice, DAY + timedelta(days=12), "behaviour")
        self._run(DAY)
        self.assertExpected(invoice, DAY + timedelta(days=12), "behaviour")
        self.assertExpected(single, DAY + timedelta(days=12), "behaviour")

    def test_fewer_than_three_paid_takes_the_company_median(self):
        self._run(DAY)
        # the company's nine paid invoices, days late 2 2 2 30 30 30 30 40 40: median 30
        self.assertExpected(self.newcomer_open, DAY + timedelta(days=40), "behaviour")
        self.assertExpected(self.stranger_open, DAY + timedelta(days=35), "behaviour")
        self.assertExpected(self.promised, DAY + timedelta(days=15), "behaviour")

    def test_only_the_last_twelve_paid_count(self):
        late_payer = self._customer("Late Payer", email="ap@late.example.com")
        # twelve invoices paid on time after thirteen paid 30 days late: the old ones no longer count
        self._paid_history(late_payer, [30] * 13 + [0] * 12, DAY - timedelta(days=900), step=35)
        with at(DAY):
            invoice = self._invoice(late_payer, -3, 100.0)
        self._run(DAY)
        self.assertExpected(invoice, DAY + timedelta(days=3), "behaviour")

    def test_never_before_today(self):
        self._run(DAY)
        # due 20 days ago, usually 2 days late: expected today, then the next day if still unpaid
        self.assertEqual(self.regular_late.collection_expected_base_date, DAY - timedelta(days=18))
        self.assertExpected(self.regular_late, DAY, "behaviour")
        written = self.regular_late.write_date
        with at(DAY + timedelta(days=1)):
            changed = self.env["collection.engine"]._expected_dates(
                self.env["collection.engine"]._new_run(DAY + timedelta(days=1), self.company)
            )
        self.assertEqual(changed, 0, "the passing days rewrite no invoice")
        self.assertEqual(self.regular_late.write_date, written)
        self.assertExpected(self.regular_late, DAY + timedelta(days=1), "behaviour", today=DAY + timedelta(days=1))
        # and the forecast counts it today
        with at(DAY + timedelta(days=1)):
            forecast = self.env["collection.case"].get_cash_forecast(weeks=1, company_ids=self.company.ids)
        self.assertGreaterEqual(forecast["weeks"][0]["expected"], 300.0)

    # ------------------------------------------------------------------ agreements
    def test_open_promise_gives_its_date_then_behaviour_again(self):
        promise = self._promise(self.promised, DAY + timedelta(days=7))
        self._run(DAY)
        self.assertExpected(self.promised, DAY + timedelta(days=7), "promise")
        with at(DAY):
            promise.action_cancel(reason="The customer asked for a payment plan instead")
        self._run(DAY + timedelta(days=1))
        self.assertExpected(self.promised, DAY + timedelta(days=15), "behaviour")

    def test_plan_installment_that_completes_each_invoice(self):
        plan = self._plan()
        self._run(DAY)
        dates = plan.line_ids.sorted(lambda line: (line.due_date, line.sequence)).mapped("due_date")
        self.assertEqual(len(dates), 4)
        # 250 a week: the oldest invoice (600 of 1,000) is paid off by the third installment
        self.assertExpected(self.plan_old, dates[2], "plan")
        self.assertExpected(self.plan_new, dates[3], "plan")

    def test_live_settlement_gives_its_deadline(self):
        self._settlement(DAY + timedelta(days=14))
        self._run(DAY)
        self.assertExpected(self.settled, DAY + timedelta(days=14), "settlement")

    def test_recomputed_when_the_inputs_change(self):
        self._run(DAY)
        self.assertExpected(self.stranger_open, DAY + timedelta(days=35), "behaviour")
        # paid: no expected date any more
        self._pay(self.stranger_open, date=DAY)
        self._run(DAY)
        self.assertExpected(self.stranger_open, False, False)
        # the customer's history changed: three payments on time
        with at(DAY):
            invoices = [self._invoice(self.stranger, 10 - index, 50.0) for index in range(3)]
        for invoice in invoices:
            self._pay(invoice, date=invoice.invoice_date_due)
        with at(DAY):
            later = self._invoice(self.stranger, -5, 100.0)
        self._run(DAY)
        # its own history now: paid on the due date (and once early), median 0
        self.assertExpected(later, DAY + timedelta(days=5), "behaviour")

    def test_users_cannot_set_the_expected_date(self):
        self._run(DAY)
        with self.assertRaisesRegex(AccessError, "collections run computes it"):
            self.regular_open.with_user(self.collection_manager).write({"collection_expected_date": DAY})
        with self.assertRaisesRegex(AccessError, "collections run computes it"):
            self.regular_open.sudo().write({"collection_expected_source": "promise"})
        with self.assertRaisesRegex(AccessError, "collections run computes it"):
            self.regular_open.sudo().write({"collection_expected_base_date": DAY})

    # ------------------------------------------------------------------ forecast
    def _open_invoices(self):
        return self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )

    def test_cash_forecast_weeks_and_later_make_the_open_amount(self):
        self._promise(self.promised, DAY + timedelta(days=7))
        self._plan()
        self._settlement(DAY + timedelta(days=14))
        self._run(DAY)
        with at(DAY):
            forecast = (
                self.env["collection.case"]
                .with_user(self.collector)
                .with_context(allowed_company_ids=self.company.ids)
                .get_cash_forecast(weeks=4)
            )
        open_amount = sum(self._open_invoices().mapped("amount_residual_signed"))
        self.assertEqual(forecast["currency"], self.company.currency_id.name)
        self.assertEqual(len(forecast["weeks"]), 4)
        self.assertEqual([week["week_start"] for week in forecast["weeks"]][:2], ["2026-03-02", "2026-03-09"])
        self.assertAlmostEqual(forecast["total_open"], open_amount, places=2)
        self.assertAlmostEqual(
            sum(week["expected"] for week in forecast["weeks"]) + forecast["later"], forecast["total_open"], places=2
        )
        # the promise (800) falls in the second week, the newcomer's invoice (DAY + 40) later
        self.assertEqual(forecast["weeks"][1]["promised"], 800.0)
        self.assertEqual(sum(week["planned"] for week in forecast["weeks"]), 1000.0)
        self.assertGreaterEqual(forecast["later"], 200.0)
        for week in forecast["weeks"]:
            self.assertGreaterEqual(week["expected"], week["promised"] + week["planned"])
        # the report's rows add up to the same
        Report = self.env["collection.cash.forecast.report"].with_user(self.collector)
        [(total,)] = Report._read_group([("company_id", "=", self.company.id)], [], ["amount:sum"])
        self.assertAlmostEqual(total, open_amount, places=2)
        [(source,)] = Report._read_group([("move_id", "=", self.promised.id)], ["source"])
        self.assertEqual(source, "promise")
        # and the dashboard shows it
        with at(DAY):
            data = (
                self.env["collection.case"]
                .with_user(self.collector)
                .with_context(allowed_company_ids=self.company.ids)
                .get_dashboard_data()
            )
        self.assertAlmostEqual(data["cash_forecast"]["total_open"], open_amount, places=2)

    def test_cash_forecast_counts_invoices_posted_since_the_run(self):
        self._run(DAY)
        with at(DAY):
            fresh = self._invoice(self.stranger, -3, 70.0)
            forecast = self.env["collection.case"].get_cash_forecast(company_ids=self.company.ids)
        self.assertFalse(fresh.collection_expected_base_date)
        self.assertEqual(len(forecast["weeks"]), 13)
        self.assertAlmostEqual(
            forecast["total_open"], sum(self._open_invoices().mapped("amount_residual_signed")), places=2
        )

    def test_cash_forecast_refuses_bad_arguments(self):
        Case = self.env["collection.case"].with_user(self.collector)
        with self.assertRaisesRegex(UserError, "1 to 104 weeks"):
            Case.get_cash_forecast(weeks=0)
        other = self.setup_other_company(name="Forecast Elsewhere")["company"]
        with self.assertRaises(AccessError):
            Case.get_cash_forecast(company_ids=other.ids)


@tagged("post_install", "-at_install")
class TestForecastBacktest(ForecastCommon):
    def test_behaviour_forecast_beats_the_due_date_on_history(self):
        """Customers who pay with their own delays (one early, one on time, two late), each with a
        few days of noise: for the invoices paid in the last 90 days, the forecast made on their
        posting date is closer to the real payment date than their due date is."""
        rng = random.Random(7)
        for name, delay in (("Early Bird", -3), ("On Time", 0), ("Slow Pay", 20), ("Very Late", 45)):
            partner = self._customer(name)
            lates = [max(-3, delay + rng.randint(-3, 3)) for _index in range(8)]
            self._paid_history(partner, lates, DAY - timedelta(days=420), step=50)
        with at(DAY):
            result = self.env["collection.engine"]._forecast_backtest(self.company, DAY)
        self.assertGreaterEqual(result["invoices"], 4)
        self.assertGreater(result["customer_history"], 0)
        self.assertLess(result["mae_behaviour_days"], result["mae_naive_days"])
        # naive: the due date misses by the customers' delays; the behaviour by the noise mostly
        self.assertGreater(result["mae_naive_days"], 10)
        self.assertLess(result["mae_behaviour_days"], 8)
