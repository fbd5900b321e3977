from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(CollectionsCommon):
    """Payment behaviour and risk score from known histories, recomputed for changed customers only,
    and the automatic policy by risk band."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # a history of several broken promises per case, recorded before any limit applied
        cls.company.collection_promise_max_broken = 0
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        # Alpha pays on the due date, always
        cls.alpha = cls._customer("Alpha Punctual")
        for due_days_ago in (40, 20):
            invoice = cls._invoice(cls.alpha, due_days_ago, 100.0)
            cls._pay(invoice, date=cls._ago(due_days_ago))
        # Bravo: one invoice 30 days late, one on time, one promise broken
        cls.bravo = cls._customer("Bravo Sometimes")
        cls.bravo_late = cls._invoice(cls.bravo, 60, 300.0)
        bravo_on_time = cls._invoice(cls.bravo, 20, 200.0)
        cls._pay(bravo_on_time, date=cls._ago(20))
        cls._broken_promise(cls.bravo, cls.bravo_late)
        cls._pay(cls.bravo_late, date=cls._ago(30))
        # Charlie: paid 90 days late, three promises broken, an invoice 45 days overdue still open
        cls.charlie = cls._customer("Charlie Rarely")
        charlie_late = cls._invoice(cls.charlie, 120, 500.0)
        for _i in range(3):
            cls._broken_promise(cls.charlie, charlie_late)
        cls._pay(charlie_late, date=cls._ago(30))
        cls.charlie_open = cls._invoice(cls.charlie, 45, 400.0)
        cls.partners = cls.alpha | cls.bravo | cls.charlie

    @classmethod
    def _ago(cls, days):
        return cls.today - timedelta(days=days)

    @classmethod
    def _broken_promise(cls, partner, invoices):
        case = cls.env["collection.case"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", cls.company.id), ("state", "=", "open")]
        )
        promise = cls.env["collection.promise"].create(
            {
                "case_id": case.id,
                "invoice_ids": [Command.set(invoices.ids)],
                "amount": 10.0,
                "promised_date": cls.today + timedelta(days=5),
            }
        )
        promise.action_confirm()
        promise.sudo().write({"state": "broken", "close_date": cls.today})  # as the daily run leaves it
        return promise

    def _recompute(self):
        return self.env["res.partner"]._recompute_collection_behaviour(self.company, self.today)

    def _backdate(self, partners):
        """Pretend the behaviour of these customers was computed yesterday, from older entries."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE account_move_line SET write_date = (NOW() AT TIME ZONE 'UTC') - interval '2 days'
             WHERE partner_id = ANY(%(ids)s);
            UPDATE collection_promise SET write_date = (NOW() AT TIME ZONE 'UTC') - interval '2 days'
             WHERE partner_id = ANY(%(ids)s);
            UPDATE res_partner SET behaviour_date = (NOW() AT TIME ZONE 'UTC') - interval '1 day'
             WHERE id = ANY(%(ids)s);
            """,
            {"ids": partners.ids},
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------ formula
    def test_risk_formula(self):
        score = self.env["res.partner"]._risk_score_from
        self.assertEqual(score(0.0, 1.0, 5, 0, 0), 0)
        self.assertEqual(score(60.0, 0.0, 5, 3, 90), 100)
        self.assertEqual(score(400.0, 0.0, 5, 10, 1000), 100, "every term is capped")
        self.assertEqual(score(30.0, 0.5, 4, 0, 0), 35)  # 20 + 15
        self.assertEqual(score(90.0, 0.0, 0, 0, 45), 5, "no paid invoice: late and on-time terms do not apply")

    def test_three_known_histories(self):
        self._recompute()
        alpha, bravo, charlie = self.alpha, self.bravo, self.charlie
        self.assertRecordValues(
            alpha | bravo | charlie,
            [
                # 0
                {"paid_invoice_count": 2, "avg_days_late": 0.0, "on_time_ratio": 1.0, "broken_promise_count": 0,
                 "risk_score": 0},
                # 40 x 15/60 + 30 x 0.5 + 20 x 1/3 = 10 + 15 + 6.67 = 31.67
                {"paid_invoice_count": 2, "avg_days_late": 15.0, "on_time_ratio": 0.5, "broken_promise_count": 1,
                 "risk_score": 32},
                # 40 (90 days late) + 30 (never on time) + 20 (3 broken) + 10 x 45/90 (open for 45 days)
                {"paid_invoice_count": 1, "avg_days_late": 90.0, "on_time_ratio": 0.0, "broken_promise_count": 3,
                 "risk_score": 95},
            ],
        )  # fmt: skip
        self.assertTrue(alpha.behaviour_date)
        case = self._case(charlie)
        self.assertEqual(case.risk_score, 95, "the case shows its customer's risk")
        self.assertEqual(
            self.env["collection.case"].search([("id", "=", case.id), ("risk_score", ">=", 90)]),
            case,
            "the case's risk is stored: cases can be searched and sorted by it",
        )

    def test_daily_run_recomputes(self):
        self.env["collection.case"].run_collections(date=str(self.today), company_ids=self.company.ids)
        self.assertEqual(self.charlie.risk_score, 95)
        self.assertEqual(self.bravo.risk_score, 32)

    def test_recompute_touches_only_changed(self):
        self._recompute()
        self._backdate(self.partners)
        before = {p.id: p.behaviour_date for p in self.partners}
        self.assertFalse(
            set(self.env["res.partner"]._behaviour_changed_partner_ids(self.company)) & set(self.partners.ids),
            "nothing happened since the last computation",
        )
        # Alpha pays a new invoice 10 days late; Bravo and Charlie do nothing
        invoice = self._invoice(self.alpha, 15, 100.0)
        self._pay(invoice, date=self._ago(5))
        changed = self.env["res.partner"]._behaviour_changed_partner_ids(self.company)
        self.assertEqual(set(changed) & set(self.partners.ids), {self.alpha.id})
        self._recompute()
        self.assertEqual(self.bravo.behaviour_date, before[self.bravo.id], "Bravo was not recomputed")
        self.assertEqual(self.charlie.behaviour_date, before[self.charlie.id], "Charlie was not recomputed")
        self.assertGreater(self.alpha.behaviour_date, before[self.alpha.id])
        # 3 paid invoices, 0 + 0 + 10 days late, 2 of 3 on time: 40 x 3.3/60 + 30 x 0.33 = 2.2 + 10 = 12
        self.assertRecordValues(
            self.alpha,
            [{"paid_invoice_count": 3, "avg_days_late": 3.3, "on_time_ratio": 0.67, "risk_score": 12}],
        )

    def test_broken_promise_marks_changed(self):
        self._recompute()
        self._backdate(self.partners)
        self._broken_promise(self.charlie, self.charlie_open)
        changed = self.env["res.partner"]._behaviour_changed_partner_ids(self.company)
        self.assertEqual(set(changed) & set(self.partners.ids), {self.charlie.id})
        self._recompute()
        self.assertEqual(self.charlie.broken_promise_count, 4)

    # ------------------------------------------------------------------ policy by risk band
    def _band(self, name, low, high=100):
        return self.env["collection.policy"].create(
            {
                "name": name,
                "company_id": self.company.id,
                "risk_auto_assign": True,
                "risk_score_min": low,
                "risk_score_max": high,
                "level_ids": [Command.create(self._level_vals("Call", 5))],
            }
        )

    def test_policy_by_risk_band(self):
        strict = self._band("Strict", 70)
        watch = self._band("Watch", 30, 69)
        self._recompute()
        company = self.company
        self.assertFalse(self.alpha.with_company(company).collection_policy_id, "score 0 is in no band")
        self.assertEqual(self.bravo.with_company(company).collection_policy_id, watch)
        self.assertEqual(self.charlie.with_company(company).collection_policy_id, strict)
        self.assertFalse(self.charlie.with_company(company).collection_policy_manual)
        self.assertEqual(self._case(self.charlie).policy_id, strict, "the open case follows the new policy")
        self.assertIn("Strict", self.charlie.message_ids[0].body)
        self.assertTrue(
            self._case(self.charlie).event_ids.filtered(lambda e: "Strict" in e.name),
            "the change is in the case log",
        )

    def test_manual_policy_wins(self):
        strict = self._band("Strict", 70)
        # a collector picks Charlie's policy by hand
        self.charlie.with_company(self.company).write({"collection_policy_id": self.policy.id})
        self.assertTrue(self.charlie.with_company(self.company).collection_policy_manual)
        self._recompute()
        self.assertEqual(self.charlie.with_company(self.company).collection_policy_id, self.policy)
        self.assertEqual(self.charlie.risk_score, 95)
        # even a band policy chosen by hand stays when the score leaves the band
        self.bravo.with_company(self.company).write({"collection_policy_id": strict.id})
        self.env["res.partner"]._assign_collection_policies(self.partners.ids, self.company)
        self.assertEqual(self.bravo.with_company(self.company).collection_policy_id, strict)
        # clearing the policy by hand hands the customer back to the bands
        self.charlie.with_company(self.company).write({"collection_policy_id": False})
        self.assertFalse(self.charlie.with_company(self.company).collection_policy_manual)
        self.env["res.partner"]._assign_collection_policies(self.partners.ids, self.company)
        self.assertEqual(self.charlie.with_company(self.company).collection_policy_id, strict)

    def test_band_policy_follows_score(self):
        strict = self._band("Strict", 70)
        self._recompute()
        self.assertEqual(self.charlie.with_company(self.company).collection_policy_id, strict)
        # Charlie pays the open invoice today, 45 days late: 40 + 30 + 20 and no overdue left = 90
        self._pay(self.charlie_open)
        self._recompute()
        self.assertEqual(self.charlie.risk_score, 90)
        self.assertEqual(self.charlie.with_company(self.company).collection_policy_id, strict)
        strict.risk_score_min = 95
        self.env["res.partner"]._assign_collection_policies(self.charlie.ids, self.company)
        self.assertFalse(
            self.charlie.with_company(self.company).collection_policy_id,
            "out of every band: back to the company default",
        )

    def test_apply_bands_now(self):
        self._recompute()
        strict = self._band("Strict", 70)
        self.assertFalse(self.charlie.with_company(self.company).collection_policy_id, "bands apply at the next change")
        strict.action_apply_assignment_rules()
        self.assertEqual(self.charlie.with_company(self.company).collection_policy_id, strict)
        self.assertFalse(self.bravo.with_company(self.company).collection_policy_id)

    def test_band_validation(self):
        with self.assertRaisesRegex(ValidationError, "risk band"):
            self._band("Bad", 80, 60)
