from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import fields, http
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPortal(CollectionsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.collection_promise_max_days = 30
        cls.customer_a = cls._customer("Alpha Retail", email="ap@alpha.example.com")
        cls.customer_b = cls._customer("Bravo Stores", email="ap@bravo.example.com")
        for customer in cls.customer_a | cls.customer_b:
            customer.with_company(company).collection_policy_id = cls.policy
        cls.invoice_a = cls._invoice(cls.customer_a, 20, 1000.0)
        cls.invoice_a2 = cls._invoice(cls.customer_a, 15, 300.0)
        cls.invoice_a_current = cls._invoice(cls.customer_a, -10, 50.0)
        cls.invoice_b = cls._invoice(cls.customer_b, 20, 700.0)
        cls.env["collection.case"].refresh_cases()
        contact_a = cls.env["res.partner"].create({"name": "Alice Alpha", "parent_id": cls.customer_a.id})
        cls.portal_a = mail_new_test_user(
            cls.env,
            login="portal_alpha",
            groups="base.group_portal",
            partner_id=contact_a.id,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.portal_b = mail_new_test_user(
            cls.env,
            login="portal_bravo",
            groups="base.group_portal",
            partner_id=cls.customer_b.id,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        # far from UTC: the portal's "today" is the customer's, a day ahead of UTC for most of the day
        (cls.portal_a | cls.portal_b).tz = "Pacific/Kiritimati"

    @property
    def today(self):
        """Today as the portal user sees it, read when the test needs it (not when the class was set up)."""
        return fields.Date.context_today(self.env["res.partner"].with_user(self.portal_a))

    def _post(self, route, data, files=None):
        response = self.url_open(route, data={"csrf_token": http.Request.csrf_token(self), **data}, files=files)
        self.assertEqual(response.status_code, 200)
        query = parse_qs(urlparse(response.url).query)
        return response, query.get("error", [None])[0], query.get("success", [None])[0]

    def _promises(self, invoice):
        return self.env["collection.promise"].search([("invoice_ids", "in", invoice.ids)])

    def _disputes(self, invoice):
        return self.env["collection.dispute"].search([("invoice_id", "=", invoice.id)])

    def test_page_lists_own_open_invoices_only(self):
        self.assertTrue(self._case(self.customer_a) and self._case(self.customer_b))
        self.authenticate("portal_alpha", "portal_alpha")
        response = self.url_open("/my/collections")
        self.assertEqual(response.status_code, 200)
        page = response.text
        for invoice in self.invoice_a | self.invoice_a2 | self.invoice_a_current:
            self.assertIn(invoice.name, page)
            self.assertIn(f'id="invoice-{invoice.id}"', page)
            self.assertIn(invoice.get_portal_url(), page)
        self.assertNotIn(f'id="invoice-{self.invoice_b.id}"', page)
        self.assertIn("o_collection_overdue", page)
        self.assertIn("1,350.00", page)  # total due in the company currency
        self.assertIn("1,300.00", page)  # of which overdue

    def test_page_links_odoos_page_paying_all_overdue_invoices(self):
        self.authenticate("portal_alpha", "portal_alpha")
        page = self.url_open("/my/collections").text
        self.assertIn('href="/my/invoices/overdue"', page)
        # account_payment's page (it shows the invoices on their own list when no payment provider is set up)
        overdue = self.url_open("/my/invoices/overdue")
        self.assertEqual(overdue.status_code, 200)
        self.assertIn(self.invoice_a.name, overdue.text)

    def test_home_counter(self):
        self.authenticate("portal_alpha", "portal_alpha")
        response = self.make_jsonrpc_request("/my/counters", {"counters": ["collection_count"]})
        self.assertEqual(response["collection_count"], 3)

    def test_promise_on_other_customers_invoice_refused(self):
        self.authenticate("portal_alpha", "portal_alpha")
        date = self.today + timedelta(days=10)
        _response, error, _success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_b.id, "date": str(date)}
        )
        self.assertTrue(error)
        self.assertFalse(self._promises(self.invoice_b))
        _response, error, _success = self._post(
            "/my/collections/dispute",
            {"invoice_id": self.invoice_b.id, "reason": "quality", "description": "Broken"},
        )
        self.assertTrue(error)
        self.assertFalse(self._disputes(self.invoice_b))
        self.assertFalse(self.invoice_b.collection_hold)

    def test_promise_through_portal(self):
        case = self._case(self.customer_a)
        self.authenticate("portal_alpha", "portal_alpha")
        date = self.today + timedelta(days=10)
        _response, error, success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(date), "note": "After payday"}
        )
        self.assertFalse(error)
        self.assertTrue(success)
        promise = self._promises(self.invoice_a)
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.case_id, case)
        self.assertEqual(promise.promised_date, date)
        self.assertEqual(promise.amount, 1000.0)
        self.assertEqual(self.invoice_a.collection_hold, "promise")
        event = case.event_ids.filtered(lambda e: e.channel == "portal")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.direction, "inbound")
        self.assertEqual(event.invoice_ids, self.invoice_a)
        message = case.message_ids.filtered(
            lambda m: self.invoice_a.name in (m.body or "") and "After payday" in m.body
        )
        self.assertEqual(message.author_id, self.portal_a.partner_id)
        self.assertTrue(case.activity_ids.filtered(lambda a: self.invoice_a.name in (a.summary or "")))

    def test_promise_beyond_company_limit_refused(self):
        self.authenticate("portal_alpha", "portal_alpha")
        for date in (self.today + timedelta(days=31), self.today, "not a date"):
            response, error, _success = self._post(
                "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(date)}
            )
            self.assertTrue(error, date)
            self.assertIn("o_collection_error", response.text)
        _response, error, _success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(self.today + timedelta(days=31))}
        )
        self.assertIn("30 days", error)
        self.assertFalse(self._promises(self.invoice_a))
        self.assertFalse(self.invoice_a.collection_hold)
        _response, error, success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(self.today + timedelta(days=30))}
        )
        self.assertFalse(error, "30 days from the customer's today is the last date accepted")
        self.assertTrue(success)
        self.assertEqual(self._promises(self.invoice_a).promised_date, self.today + timedelta(days=30))

    def test_dispute_through_portal_with_file(self):
        case = self._case(self.customer_a)
        self.authenticate("portal_alpha", "portal_alpha")
        _response, error, success = self._post(
            "/my/collections/dispute",
            {"invoice_id": self.invoice_a2.id, "reason": "not_received", "description": "Never delivered"},
            files={"attachment": ("proof.txt", b"delivery note missing", "text/plain")},
        )
        self.assertFalse(error)
        self.assertTrue(success)
        dispute = self._disputes(self.invoice_a2)
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.state, "open")
        self.assertEqual(dispute.case_id, case)
        self.assertEqual(dispute.reason, "not_received")
        self.assertEqual(self.invoice_a2.collection_hold, "dispute")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "collection.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.name, "proof.txt")
        self.assertEqual(attachment.raw, b"delivery note missing")
        self.assertTrue(case.event_ids.filtered(lambda e: e.channel == "portal" and e.direction == "inbound"))
        self.assertTrue(case.message_ids.filtered(lambda m: "Never delivered" in (m.body or "")))

    def test_statement_for_own_partner(self):
        self.authenticate("portal_alpha", "portal_alpha")
        response = self.url_open("/my/collections/statement")
        self.assertEqual(response.status_code, 200)
        self.assertIn(response.headers["Content-Type"].split(";")[0], ("application/pdf", "text/html"))
        self.assertIn(self.invoice_a.name, response.text)
        self.assertNotIn(self.invoice_b.name, response.text)
        self.authenticate("portal_bravo", "portal_bravo")
        response = self.url_open("/my/collections/statement")
        self.assertIn(self.invoice_b.name, response.text)
        self.assertNotIn(self.invoice_a.name, response.text)

    def test_invoice_page_links_to_collections(self):
        self.authenticate("portal_alpha", "portal_alpha")
        response = self.url_open(self.invoice_a.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/my/collections#invoice-{self.invoice_a.id}", response.text)
        response = self.url_open(self.invoice_a_current.get_portal_url())
        self.assertNotIn("/my/collections#invoice-", response.text)

    # ------------------------------------------------------------------ handed over, held, limited
    def _legal_case_a(self):
        lawyer = self.env["res.partner"].create(
            {"name": "Maître Lex", "email": "lex@law.example.com", "phone": "+33 1 23 45 67 89"}
        )
        case = self._case(self.customer_a)
        case._legal_handover(lawyer, note="Claim filed")
        return case, lawyer

    def test_promise_on_a_legal_case_is_refused_with_the_lawyers_contact(self):
        case, _lawyer = self._legal_case_a()
        self.authenticate("portal_alpha", "portal_alpha")
        page = self.url_open("/my/collections").text
        self.assertIn("o_collection_handed_over", page)
        self.assertIn("Maître Lex", page)
        self.assertIn("lex@law.example.com", page)
        self.assertNotIn('action="/my/collections/promise"', page, "no promise form for a debt our lawyer handles")
        date = self.today + timedelta(days=10)
        _response, error, success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(date)}
        )
        self.assertFalse(success)
        self.assertIn("handled for us by Maître Lex", error)
        self.assertIn("lex@law.example.com", error)
        _response, error, _success = self._post(
            "/my/collections/dispute", {"invoice_id": self.invoice_a2.id, "reason": "quality", "description": "Bad"}
        )
        self.assertIn("Maître Lex", error)
        self.assertEqual(case.stage_code, "legal", "the case stays with the lawyer")
        self.assertFalse(self._promises(self.invoice_a))
        self.assertFalse(self._disputes(self.invoice_a2))
        self.assertFalse(case.next_level_id)

    def test_promise_on_an_invoice_under_a_plan_is_refused(self):
        case = self._case(self.customer_a)
        plan = self.env["collection.payment.plan"].create(
            {
                "case_id": case.id,
                "invoice_ids": [(6, 0, self.invoice_a.ids)],
                "start_date": self.today,
                "installment_count": 2,
                "interval": "weekly",
            }
        )
        plan.action_activate()
        self.authenticate("portal_alpha", "portal_alpha")
        _response, error, _success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": str(self.today + timedelta(days=10))}
        )
        self.assertIn(f"already covered by the open payment plan {plan.name}", error)
        self.assertFalse(self._promises(self.invoice_a))
        self.assertEqual(self.invoice_a.collection_hold, "plan")

    def test_no_promise_date_after_too_many_broken_promises(self):
        company = self.company_data["company"]
        company.collection_promise_max_broken = 1
        case = self._case(self.customer_a)
        promise = self.env["collection.promise"].create(
            {
                "case_id": case.id,
                "invoice_ids": [(6, 0, self.invoice_a.ids)],
                "amount": 100.0,
                "promised_date": self.today + timedelta(days=1),
                "grace_days": 0,
            }
        )
        promise.action_confirm()
        self.env["collection.promise"]._settle_open_promises(company, self.today + timedelta(days=2))
        self.assertEqual(promise.state, "broken")
        self.authenticate("portal_alpha", "portal_alpha")
        page = self.url_open("/my/collections").text
        self.assertIn("o_collection_promise_closed", page)
        self.assertNotIn('action="/my/collections/promise"', page)
        self.assertIn('action="/my/collections/dispute"', page, "a dispute stays possible")
        _response, error, _success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a2.id, "date": str(self.today + timedelta(days=5))}
        )
        self.assertIn("already has 1 broken promises", error)
        self.assertFalse(self._promises(self.invoice_a2))

    def test_bad_form_input_gets_an_error_on_the_page(self):
        self.authenticate("portal_alpha", "portal_alpha")
        good_date = str(self.today + timedelta(days=10))
        for invoice_id in ("", "abc", "nan", "1e309", "-1", "0", "99999999999999999999", str(self.invoice_b.id)):
            for route, data in (
                ("/my/collections/promise", {"date": good_date}),
                ("/my/collections/dispute", {"reason": "quality", "description": "Bad"}),
            ):
                response, error, _success = self._post(route, {"invoice_id": invoice_id, **data})
                self.assertIn("not one of your open invoices", error, (route, invoice_id))
                self.assertIn("o_collection_error", response.text)
        for date in ("", "inf", "NaN", "2026-02-30", "9999-99-99", "99999-01-01", "1" * 5000, "0001-01-01"):
            _response, error, _success = self._post(
                "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": date}
            )
            self.assertTrue(error, date)
        _response, error, _success = self._post(
            "/my/collections/promise", {"invoice_id": self.invoice_a.id, "date": good_date, "note": "x" * 100000}
        )
        self.assertIn("too long", error)
        for data in (
            {"reason": "<script>", "description": "Bad"},
            {"reason": "quality", "description": "   "},
            {"reason": "quality", "description": "x" * 100000},
        ):
            _response, error, _success = self._post(
                "/my/collections/dispute", {"invoice_id": self.invoice_a.id, **data}
            )
            self.assertTrue(error, data)
        self.assertFalse(self._promises(self.invoice_a))
        self.assertFalse(self._disputes(self.invoice_a))
        for url in ("/my/collections/settlement/99999999999999999999", "/my/collections/settlement/0"):
            self.assertEqual(self.url_open(url).status_code, 200, url)
            response = self.url_open(f"{url}/accept", data={"csrf_token": http.Request.csrf_token(self)})
            self.assertEqual(response.status_code, 200, url)
