from datetime import timedelta

from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestWorkload(CollectionsCommon):
    """Collector workload: open cases, amount overdue, actions due today and overdue actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # the report's today is PostgreSQL's CURRENT_DATE: the date the test transaction started,
        # the same for every test of the class, whatever the time zone or the hour
        cls.env.cr.execute("SELECT CURRENT_DATE")
        cls.today = cls.env.cr.fetchone()[0]
        Case = cls.env["collection.case"]
        cls.cases = Case
        for name, amount, collector, next_days in (
            ("India Due Today", 100.0, cls.collector, 0),
            ("Juliet Late Action", 200.0, cls.collector, -3),
            ("Kilo Next Week", 300.0, cls.collection_manager, 7),
        ):
            partner = cls._customer(name)
            cls._invoice(partner, 20, amount)
            case = Case.search([("partner_id", "=", partner.id), ("state", "=", "open")])
            case.user_id = collector
            # sudo: the next action as the engine would have planned it
            case.sudo().next_action_date = cls.today + timedelta(days=next_days)
            cls.cases |= case
        cls.india, cls.juliet, cls.kilo = cls.cases
        cls.india.activity_schedule("mail.mail_activity_data_call", date_deadline=cls.today, user_id=cls.collector.id)
        cls.kilo.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=cls.today - timedelta(days=1),
            user_id=cls.collection_manager.id,
        )
        cls.kilo.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=cls.today + timedelta(days=2), user_id=cls.collector.id
        )
        # a paused case does not make an action due
        paused = cls._customer("Lima Paused")
        cls._invoice(paused, 20, 50.0)
        cls.lima = Case.search([("partner_id", "=", paused.id), ("state", "=", "open")])
        cls.lima.write({"user_id": cls.collector.id, "paused_until": cls.today + timedelta(days=5)})
        cls.lima.sudo().next_action_date = cls.today - timedelta(days=2)  # as the engine planned it
        cls.cases |= cls.lima

    def test_per_collector(self):
        self.env.flush_all()
        groups = self.env["collection.workload.report"]._read_group(
            [("case_id", "in", self.cases.ids)],
            ["user_id"],
            ["case_count:sum", "amount_overdue:sum", "due_today_count:sum", "overdue_count:sum"],
        )
        workload = {user: values for user, *values in groups}
        # collector: India, Juliet, Lima; due today: India's next level and India's call;
        # overdue: Juliet's next level (Lima is paused); Kilo's activity in 2 days is not due
        self.assertEqual(workload[self.collector], [3, 350.0, 2, 1])
        # manager: Kilo, not due before next week, but an activity late since yesterday
        self.assertEqual(workload[self.collection_manager], [1, 300.0, 0, 1])

    def test_closed_cases_leave_the_workload(self):
        self._pay(self.juliet.invoice_ids)
        self.assertEqual(self.juliet.state, "closed")
        self.env.flush_all()
        rows = self.env["collection.workload.report"].search(
            [("case_id", "in", self.cases.ids), ("user_id", "=", self.collector.id), ("kind", "=", "case")]
        )
        self.assertEqual(rows.case_id, self.india | self.lima)

    def test_views_load(self):
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertTrue(self.env["collection.workload.report"].get_view(view_type=view_type)["arch"])
