from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestEffectiveness(CollectionsCommon):
    """Effectiveness per level and channel on a hand-built history of contacts and payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # a history of several broken promises per case, recorded before any limit applied
        cls.company.collection_promise_max_broken = 0
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.first, cls.second = cls.policy.level_ids.filtered(lambda lvl: lvl.delay_days > 0)[:2]
        contact_day = cls._ago(40)
        # Echo: two invoices reminded by email 40 days ago; 100 paid 5 days later, 200 paid 20 days later
        cls.echo = cls._customer("Echo Payer")
        cls.echo_1 = cls._invoice(cls.echo, 50, 100.0)
        cls.echo_2 = cls._invoice(cls.echo, 50, 200.0)
        cls.email = cls._contact(cls.echo, cls.echo_1 | cls.echo_2, "email", "sent", contact_day, cls.first)
        cls.letter = cls._contact(cls.echo, cls.echo_1, "letter", "failed", contact_day, cls.first)
        cls.skipped = cls._contact(cls.echo, cls.echo_1, "email", "skipped", contact_day, cls.second)
        # Foxtrot: called 40 days ago, pays 20 of 50 two days later, nothing since
        cls.foxtrot = cls._customer("Foxtrot Partial")
        cls.fox_invoice = cls._invoice(cls.foxtrot, 50, 50.0)
        cls.call = cls._contact(cls.foxtrot, cls.fox_invoice, "call", "sent", contact_day, cls.second)
        # Golf: SMS 40 days ago, fully paid 10 days later
        cls.golf = cls._customer("Golf Later")
        cls.golf_invoice = cls._invoice(cls.golf, 50, 80.0)
        cls.sms = cls._contact(cls.golf, cls.golf_invoice, "sms", "sent", contact_day, cls.second)
        # a system event is no contact
        cls._contact(cls.golf, cls.golf_invoice, "system", "sent", contact_day, cls.second)

        cls._pay(cls.echo_1, date=cls._ago(35))
        cls._pay(cls.echo_2, date=cls._ago(20))
        cls._pay(cls.fox_invoice, amount=20.0, date=cls._ago(38))
        cls._pay(cls.golf_invoice, date=cls._ago(30))
        cls.partners = cls.echo | cls.foxtrot | cls.golf

    @classmethod
    def _ago(cls, days):
        return cls.today - timedelta(days=days)

    @classmethod
    def _contact(cls, partner, invoices, channel, state, day, level):
        case = cls.env["collection.case"].search([("partner_id", "=", partner.id), ("state", "=", "open")])
        Event = cls.env["collection.event"].sudo()  # the log is the suite's to write
        return Event.create(
            case._event_vals(
                f"{channel} {state}",
                channel=channel,
                state=state,
                date=datetime.combine(day, time(10)),
                level_id=level.id,
                invoice_ids=[Command.set(invoices.ids)],
            )
        )

    def _rows(self):
        self.env.flush_all()
        Report = self.env["collection.effectiveness.report"]
        return {row.event_id: row for row in Report.search([("partner_id", "in", self.partners.ids)])}

    def test_paid_within_windows(self):
        rows = self._rows()
        self.assertEqual(len(rows), 5, "email, letter, skipped email, call and SMS; the system event is no contact")
        self.assertRecordValues(
            rows[self.email],
            [{"date": self._ago(40), "channel": "email", "state": "sent", "level_id": self.first.id,
              "invoice_count": 2, "amount_due": 300.0,
              "paid_7_count": 0, "paid_14_count": 0, "paid_30_count": 1,
              "paid_7_rate": 0.0, "paid_30_rate": 100.0,
              "amount_paid_7": 100.0, "amount_paid_14": 100.0, "amount_paid_30": 300.0}],
        )  # fmt: skip
        self.assertRecordValues(
            rows[self.call],
            [{"paid_7_count": 0, "paid_30_count": 0, "amount_paid_7": 20.0, "amount_paid_30": 20.0,
              "paid_30_rate": 0.0}],
        )  # fmt: skip
        self.assertRecordValues(
            rows[self.sms],
            [{"paid_7_count": 0, "paid_14_count": 1, "paid_30_count": 1, "amount_paid_7": 0.0,
              "amount_paid_14": 80.0}],
        )  # fmt: skip
        # contacts that did not go out measure nothing
        for event in (self.letter, self.skipped):
            self.assertRecordValues(
                rows[event], [{"sent_count": 0, "paid_30_count": 0, "amount_paid_30": 0.0, "paid_30_rate": 0.0}]
            )
        self.assertEqual(rows[self.letter].failed_count, 1)
        self.assertEqual(rows[self.skipped].skipped_count, 1)

    def test_per_level_and_channel(self):
        self.env.flush_all()
        Report = self.env["collection.effectiveness.report"]
        domain = [("partner_id", "in", self.partners.ids)]
        measures = [
            "contact_count:sum",
            "sent_count:sum",
            "failed_count:sum",
            "skipped_count:sum",
            "paid_30_count:sum",
            "paid_30_rate:avg",
            "amount_paid_30:sum",
        ]
        by_level = {level: values for level, *values in Report._read_group(domain, ["level_id"], measures)}
        # first level: the email (paid in 30 days) and the failed letter
        self.assertEqual(by_level[self.first], [2, 1, 1, 0, 1, 100.0, 300.0])
        # second level: skipped email, call (not fully paid), SMS (paid): rate over the two sent
        self.assertEqual(by_level[self.second], [3, 2, 0, 1, 1, 50.0, 100.0])
        by_channel = {channel: values for channel, *values in Report._read_group(domain, ["channel"], measures)}
        self.assertEqual(by_channel["email"], [2, 1, 0, 1, 1, 100.0, 300.0])
        self.assertEqual(by_channel["call"][4:], [0, 0.0, 20.0])
        self.assertEqual(set(by_channel), {"email", "letter", "call", "sms"})

    def test_promises_and_plans(self):
        """Kept vs broken promises: the kept rate counts settled promises only."""
        hotel = self._customer("Hotel Promises")
        invoice = self._invoice(hotel, 10, 500.0)
        case = self._case(hotel)
        Promise = self.env["collection.promise"]
        # a draft is no agreement yet
        Promise.create({"case_id": case.id, "amount": 10.0, "promised_date": self.today + timedelta(days=3)})
        outcomes = ["kept", "broken", "broken", "cancelled", "open"]
        for outcome in outcomes:
            promise = Promise.create(
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(invoice.ids)],
                    "amount": 50.0,
                    "promised_date": self.today + timedelta(days=3),
                }
            )
            promise.action_confirm()
            if outcome != "open":
                promise.sudo().write({"state": outcome, "close_date": self.today})  # as the daily run would
        self.env.flush_all()
        Report = self.env["collection.agreement.report"]
        domain = [("partner_id", "=", hotel.id)]
        [(count, kept, broken, running, rate, amount)] = Report._read_group(
            domain,
            [],
            ["agreement_count:sum", "kept_count:sum", "broken_count:sum", "open_count:sum", "kept_rate:avg",
             "amount:sum"],
        )  # fmt: skip
        self.assertEqual((count, kept, broken, running), (5, 1, 2, 1))
        self.assertAlmostEqual(rate, 100.0 / 3, places=2)
        self.assertEqual(amount, 250.0)
        self.assertEqual(
            dict(Report._read_group(domain, ["outcome"], ["__count"])),
            {"kept": 1, "broken": 2, "cancelled": 1, "open": 1},
        )

    def test_report_views_load(self):
        for model in ("collection.effectiveness.report", "collection.agreement.report"):
            for view_type in ("pivot", "graph", "list", "search"):
                self.assertTrue(self.env[model].get_view(view_type=view_type)["arch"])
