import re
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import CollectionsCommon

DUE = date(2026, 3, 2)
# the run after which the customers' first reminder is queued: a Thursday, in the contact window
RUN = DUE + timedelta(days=10)
TRACKED = re.compile(r'href="[^"]*(/r/(\w+)/c/(\d+)/(\w+))"')


@tagged("post_install", "-at_install")
class TestTrackedLinks(CollectionsCommon, HttpCase):
    """The links of a reminder go through Odoo's link tracker: a click is logged on the reminder's
    case, counted in the effectiveness report next to the payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.email_policy = cls._email_policy("Emails", [("First", 10), ("Second", 30)])
        cls.customer = cls._customer("Juniper Joinery", email="ap@juniper.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.email_policy
        with freeze_time(f"{DUE - timedelta(days=30)} 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (DUE - timedelta(days=30) - DUE).days, 500.0)
        with freeze_time(f"{RUN} 10:00:00"):
            cls._run_collections(RUN)
        cls.case = cls.invoice.collection_case_id
        cls.reminder = cls.case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id)

    def _links(self, event):
        """{target url: tracked path} of the links in the email of ``event``."""
        links = {}
        for path, code, event_id, _token in TRACKED.findall(event.mail_mail_id.body_html):
            self.assertEqual(int(event_id), event.id, "the link names its event")
            tracker = self.env["link.tracker.code"].search([("code", "=", code)]).link_id
            links[tracker.url] = path
        return links

    def test_reminder_links_are_tracked_and_link_the_overdue_page(self):
        self.assertEqual(self.reminder.state, "queued")
        links = self._links(self.reminder)
        base_url = self.case.get_base_url()
        self.assertIn(base_url + self.invoice.get_portal_url(), links, "the invoice's pay link")
        self.assertIn(base_url + "/my/invoices/overdue", links, "Odoo's page paying all overdue invoices")
        self.assertNotIn('href="' + base_url + "/my/", self.reminder.mail_mail_id.body_html, "no untracked link")

    def test_click_on_the_pay_link_is_logged_on_the_case(self):
        path = self._links(self.reminder)[self.case.get_base_url() + self.invoice.get_portal_url()]
        response = self.url_open(path, allow_redirects=False)
        self.assertEqual(response.status_code, 301)
        self.assertIn(self.invoice.get_portal_url().split("?")[0], response.headers["Location"])
        click = self.case.event_ids.filtered(lambda e: e.kind == "link_click")
        self.assertEqual(len(click), 1)
        self.assertEqual(
            (click.direction, click.channel, click.level_id, click.link_event_id, click.name),
            ("inbound", "email", self.reminder.level_id, self.reminder, "Opened pay link: Pay online"),
        )
        self.assertEqual(self.reminder.link_click_count, 1)
        self.assertEqual(click.link_tracker_id.count, 1, "Odoo's tracker counts the click too")

    def test_forged_link_is_not_logged(self):
        path = self._links(self.reminder)[self.case.get_base_url() + self.invoice.get_portal_url()]
        forged = path.rsplit("/", 1)[0] + "/0123456789abcdef"
        self.assertEqual(self.url_open(forged, allow_redirects=False).status_code, 301, "still redirects")
        other = re.sub(r"/c/\d+/", f"/c/{self.reminder.id + 1}/", path)
        self.url_open(other, allow_redirects=False)
        self.assertFalse(self.env["collection.event"].search([("kind", "=", "link_click")]))
        # only the signed route names the event: a click recorded otherwise is no customer's
        values = (
            self.env["link.tracker.click"]
            .with_user(self.collector)
            ._prepare_click_values_from_route(collection_event_id=self.reminder.id)
        )
        self.assertNotIn("collection_event_id", values)

    def test_tracked_pay_links_cannot_be_guessed_nor_read_by_other_employees(self):
        path = self._links(self.reminder)[self.case.get_base_url() + self.invoice.get_portal_url()]
        code = path.split("/")[2]
        self.assertGreaterEqual(len(code), 22, "as hard to guess as the invoice's access token")
        employee = mail_new_test_user(self.env, login="employee", groups="base.group_user")
        self.assertFalse(self.env["link.tracker"].with_user(employee).search([("url", "ilike", "/my/invoices/")]))
        self.assertFalse(self.env["link.tracker.code"].with_user(employee).search([("code", "=", code)]))
        self.assertTrue(self.env["link.tracker.code"].with_user(self.collector).search([("code", "=", code)]))

    def test_effectiveness_report_counts_clicks_per_level_and_channel(self):
        path = self._links(self.reminder)[self.case.get_base_url() + self.invoice.get_portal_url()]
        self.url_open(path, allow_redirects=False)
        self.url_open(path, allow_redirects=False)
        Report = self.env["collection.effectiveness.report"]
        self.env.flush_all()
        groups = Report._read_group(
            [("case_id", "=", self.case.id)], ["level_id", "channel"], ["click_count:sum", "clicked_count:sum"]
        )
        self.assertEqual(groups, [(self.reminder.level_id, "email", 2, 1)])
        row = Report.search([("event_id", "=", self.reminder.id)])
        self.assertEqual((row.contact_count, row.click_count, row.invoice_count), (1, 2, 1))

    def test_link_tracking_does_not_add_queries_per_reminder(self):
        def track_queries(count):
            customers = self.env["res.partner"]
            for index in range(count):
                customers |= self._customer(f"Tracked {count}-{index}", email=f"t{count}{index}@example.com", tz="UTC")
            for customer in customers:
                customer.with_company(self.company_data["company"]).collection_policy_id = self.email_policy
                self._invoice(customer, 15, 100.0)
                self._invoice(customer, 12, 50.0)
            with freeze_time(f"{fields.Date.today()} 10:00:00"):
                self.env["collection.case"].run_collections()
            events = self.env["collection.event"].search(
                [("partner_id", "in", customers.ids), ("channel", "=", "email"), ("state", "=", "queued")]
            )
            self.assertEqual(len(events), count)
            with freeze_time(f"{fields.Date.today()} 10:00:00"):
                Engine = self.env["collection.engine"].sudo()
                mails = {}
                for case in events.case_id:
                    # a link every reminder has, one of its own (a tracker made for each)
                    base_url = case.get_base_url()
                    mails[case.id] = self.env["mail.mail"].create(
                        {
                            "body_html": f'<div><a href="{base_url}/my/invoices/overdue">Pay all</a>'
                            f'<a href="{base_url}/my/collections?case={case.id}">Mine</a></div>'
                        }
                    )
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                Engine._track_links({event: mails[event.case_id.id] for event in events})
                self.env.flush_all()
                return self.env.cr.sql_log_count - before

        few = track_queries(2)
        many = track_queries(12)
        self.assertLessEqual(many, few + 2, f"{few} queries to track 2 reminders, {many} for 12")

    def test_collections_trackers_are_reused_and_stay_unique(self):
        Engine = self.env["collection.engine"].sudo()
        url = f"{self.case.get_base_url()}/my/collections?unique=1"
        first = Engine._link_trackers({url: "Portal"})[url]
        self.assertEqual(first.source_id, self.env.ref("account_collections.utm_source_collections"))
        self.assertEqual(Engine._link_trackers({url: "Portal again"})[url], first, "found, not made again")
        with self.assertRaisesRegex(UserError, "already leads to"):
            self.env["link.tracker"].create(
                {"url": url, "title": "Twice", "source_id": first.source_id.id, "medium_id": first.medium_id.id}
            )


@tagged("post_install", "-at_install")
class TestScheduledStatements(CollectionsCommon):
    """A customer (or its policy) gets its statement once a month on its day, through the contact
    guards, logged like any contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        # the policy sends no reminders: only the statements are contacts here
        cls.quiet_policy = cls.env["collection.policy"].create(
            {"name": "Statements only", "company_id": cls.company.id, "statement_day": 0}
        )
        cls.customer = cls._customer("Kestrel Kitchens", email="ap@kestrel.example.com", tz="UTC")
        cls.customer.with_company(cls.company).write(
            {"collection_policy_id": cls.quiet_policy.id, "collection_statement_day": 5}
        )
        with freeze_time("2026-02-01 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, (date(2026, 2, 1) - DUE).days, 320.0)
        with freeze_time("2026-03-03 10:00:00"):
            cls.env["collection.case"].refresh_cases()
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])

    def _run_at(self, moment):
        with freeze_time(moment):
            return self._run_collections(date.fromisoformat(moment[:10]))

    def _statements(self, partner=None):
        return self.env["collection.event"].search(
            [("partner_id", "=", (partner or self.customer).id), ("kind", "=", "statement")], order="id"
        )

    def test_statement_sent_on_its_day_once(self):
        self._run_at("2026-03-04 10:00:00")
        self.assertFalse(self._statements(), "not before its day")
        self._run_at("2026-03-05 10:00:00")
        statement = self._statements()
        self.assertEqual(len(statement), 1)
        self.assertEqual(
            (statement.channel, statement.state, statement.level_id, statement.case_id),
            ("email", "queued", self.env["collection.level"], self.case),
        )
        mail = statement.mail_mail_id
        self.assertTrue(mail, "the dispatch rendered it")
        self.assertIn("account statement", mail.subject)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(len(mail.attachment_ids), 1, "the statement attached")
        self.assertIn("/r/", mail.body_html, "its overdue page link tracked")
        self._run_at("2026-03-05 14:00:00")
        self._run_at("2026-03-06 10:00:00")
        self.assertEqual(self._statements(), statement, "once a month")
        self._run_at("2026-04-05 10:00:00")
        self.assertEqual(len(self._statements()), 2, "and again the next month")

    def test_statement_deferred_outside_the_window_goes_at_the_next_run(self):
        self._run_at("2026-03-05 22:00:00")
        skipped = self._statements()
        self.assertEqual((skipped.state, skipped.reason_code), ("skipped", "window"))
        self._run_at("2026-03-05 23:00:00")
        self.assertEqual(self._statements(), skipped, "the deferral logged once a day")
        self._run_at("2026-03-06 10:00:00")
        sent = self._statements() - skipped
        self.assertEqual(sent.state, "queued")
        self.assertTrue(sent.mail_mail_id)

    def test_statement_skipped_on_opt_out_and_do_not_contact(self):
        other = self._customer("Lark Logistics", email="ap@lark.example.com", tz="UTC", do_not_contact=True)
        other.with_company(self.company).collection_policy_id = self.quiet_policy
        self.quiet_policy.statement_day = 5  # the policy's day: Lark has none of its own
        with freeze_time("2026-02-01 10:00:00"):
            self._invoice(other, (date(2026, 2, 1) - DUE).days, 90.0)
        self.customer.collection_email_opt_out = True
        self._run_at("2026-03-05 10:00:00")
        mine, lark = self._statements(), self._statements(other)
        self.assertEqual((mine.state, mine.reason_code, mine.mail_mail_id.id), ("skipped", "opt_out", False))
        self.assertEqual((lark.state, lark.reason_code), ("skipped", "do_not_contact"))
        self._run_at("2026-03-06 10:00:00")
        self.assertEqual(self._statements() | self._statements(other), mine | lark, "skipped for the month")

    def test_customer_day_wins_over_the_policy_day(self):
        self.quiet_policy.statement_day = 3
        self._run_at("2026-03-04 10:00:00")
        self.assertFalse(self._statements(), "the customer's day 5, not its policy's 3")
        self.customer.with_company(self.company).collection_statement_day = 0
        self._run_at("2026-03-04 11:00:00")
        self.assertEqual(len(self._statements()), 1, "no day of its own: its policy's")

    def test_statement_day_is_a_day_every_month_has(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 28"):
            self.quiet_policy.statement_day = 31
        with self.assertRaisesRegex(ValidationError, "between 1 and 28"):
            self.customer.with_company(self.company).collection_statement_day = 29

    def test_a_client_cannot_pass_for_the_engine_to_skip_the_guards(self):
        with freeze_time("2026-03-05 10:00:00"):
            context = self.case.action_send_statement()["context"]
        self.customer.do_not_contact = True
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.collector)
            .with_context(**context, collection_render_once=True)
            .create({})
        )
        with self.assertRaisesRegex(UserError, "Customer marked do not contact"):
            composer.action_send_mail()
        self.assertFalse(self._statements())

    def test_manual_statement_goes_through_the_guards_and_the_log(self):
        self.customer.do_not_contact = True
        with self.assertRaisesRegex(UserError, "(?s)Not sent:.*Kestrel Kitchens: Customer marked do not contact"):
            self.case.with_user(self.collector).action_send_statement()
        self.customer.do_not_contact = False
        with freeze_time("2026-03-05 10:00:00"):
            action = self.case.action_send_statement()
            self.env["mail.compose.message"].with_context(**action["context"]).create({})._action_send_mail()
        manual = self._statements()
        self.assertEqual((manual.state, manual.name), ("sent", "Customer statement emailed"))
        self._run_at("2026-03-05 11:00:00")
        self.assertEqual(self._statements(), manual, "already sent this month: the run sends no other")
