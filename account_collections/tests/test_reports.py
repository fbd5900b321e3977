from datetime import timedelta

from lxml import html

from odoo import fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CollectionsCommon

LETTER = "account_collections.action_report_collection_letter"
STATEMENT = "account_collections.action_report_customer_statement"


@tagged("post_install", "-at_install")
class TestReports(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.policy"].search([("company_id", "=", cls.company_data["company"].id)]).is_default = False
        cls.policy.is_default = True  # levels: Before due (-5), First (10), Second (30)
        cls.level_before, cls.level_first, cls.level_second = cls.policy.level_ids.sorted("delay_days")
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.customer = cls._customer("Lettered Logistics", lang="en_US", street="12 Dock Road", city="Springfield")
        cls.inv_old = cls._invoice(cls.customer, 40, 1234.5)
        cls.inv_recent = cls._invoice(cls.customer, 12, 300.0)
        cls.inv_not_due = cls._invoice(cls.customer, -5, 200.0)
        cls.refund = cls._invoice(cls.customer, 20, 100.0, move_type="out_refund")

    # ------------------------------------------------------------------ helpers
    def _html(self, report, res_ids):
        content, report_type = self.env["ir.actions.report"]._render_qweb_html(report, res_ids)
        self.assertEqual(report_type, "html")
        # the monetary widget glues the minus sign to the digits with a zero-width no-break space
        return content.decode().replace("\ufeff", "")

    def _amount(self, amount, lang="en_US"):
        """An amount as the monetary widget prints it in the given language (digits only, no symbol)."""
        return self.env["res.lang"]._lang_get(lang).format("%.2f", amount, grouping=True)

    def _set_level(self, case, level):
        case.sudo().write({"level_id": level.id})

    def _statement(self, partners):
        return self.env["report.account_collections.report_customer_statement"]._get_report_values(partners.ids)[
            "statements"
        ]

    # ------------------------------------------------------------------ reminder letter
    def test_letter_lists_open_items_and_totals_of_the_case(self):
        case = self._case(self.customer)
        self._set_level(case, self.level_first)
        self.assertEqual((case.amount_overdue, case.amount_due), (1434.5, 1634.5))
        content = self._html(LETTER, case.ids)
        for move in self.inv_old | self.inv_recent | self.inv_not_due | self.refund:
            self.assertIn(move.name, content)
        tree = html.fromstring(content)
        self.assertIn(self._amount(1434.5), tree.xpath("string(//tr[@name='total_overdue'])"))
        self.assertIn(self._amount(1634.5), tree.xpath("string(//tr[@name='total_due'])"))
        self.assertIn("12 Dock Road", content, "the customer's address block is printed")
        self.assertIn(self.company_data["company"].name, content, "the company letterhead is printed")
        self.assertIn(self.today.strftime("%m/%d/%Y"), content, "the letter is dated")
        # the credit note is deducted from the amount due
        refund_row = tree.xpath(f"//tr[td/span[text()='{self.refund.name}']]")[0]
        self.assertIn(f"-{self._amount(100.0)}", refund_row.text_content())
        # the two overdue invoices are emphasised, the invoice not yet due and the credit note are not
        overdue_rows = tree.xpath("//tr[contains(@class, 'o_collection_overdue')]")
        self.assertEqual(
            sorted(row.xpath("string(td[1]/span[1])") for row in overdue_rows),
            sorted([self.inv_old.name, self.inv_recent.name]),
        )
        self.assertIn("40", overdue_rows[0].xpath("string(td[4])"), "days overdue of the oldest invoice")
        self.assertIn("font-weight: bold", overdue_rows[0].get("style"))
        # the overdue text of the first level, under the level's title
        self.assertTrue(tree.xpath("//p[@name='text_overdue']"))
        self.assertFalse(tree.xpath("//p[@name='text_pre_due']"))
        self.assertIn("Reminder of Overdue Invoices", tree.xpath("string(//h2)"))

    def test_letter_gives_the_portal_payment_link_of_each_invoice(self):
        case = self._case(self.customer)
        content = self._html(LETTER, case.ids)
        portal = html.fromstring(content).xpath("//div[@name='portal_payment']")[0]
        links = portal.xpath(".//a/@href")
        for invoice in self.inv_old | self.inv_recent | self.inv_not_due:
            self.assertTrue(invoice.access_token, "printing the letter gave the invoice a portal access token")
            self.assertIn(invoice.get_base_url() + invoice.get_portal_url(), links)
        self.assertNotIn(self.refund.name, portal.text_content(), "credit notes are not to be paid")

    def test_letter_unallocated_payment_reconciles_the_table_with_the_total_due(self):
        customer = self._customer("Prepaid Parts")
        invoice = self._invoice(customer, 15, 500.0)
        case = self._case(customer)
        payment = self._pay(invoice, amount=80.0)
        # unmatch the payment: it stays on the account as a credit, not allocated to the invoice
        (payment.move_id.line_ids | invoice.line_ids).filtered("reconciled").remove_move_reconcile()
        self.assertEqual(case.amount_due, 420.0)
        tree = html.fromstring(self._html(LETTER, case.ids))
        footer = tree.xpath("string(//tfoot)")
        self.assertIn("Payments and credits not yet allocated", footer)
        self.assertIn(f"-{self._amount(80.0)}", footer)
        self.assertIn(self._amount(420.0), tree.xpath("string(//tr[@name='total_due'])"))

    def test_letter_text_depends_on_the_case_level(self):
        customer = self._customer("Early Birds")
        self._invoice(customer, -3, 250.0)
        case = self._case(customer)
        self._set_level(case, self.level_before)
        tree = html.fromstring(self._html(LETTER, case.ids))
        self.assertIn("friendly reminder", tree.xpath("string(//div[@name='letter_text'])"))
        self.assertFalse(tree.xpath("//p[@name='text_overdue'] | //p[@name='text_final']"))
        self.assertIn("Payment Reminder", tree.xpath("string(//h2)"), "the title follows the level")

        case = self._case(self.customer)
        self._set_level(case, self.level_second)
        tree = html.fromstring(self._html(LETTER, case.ids))
        self.assertIn("final notice", tree.xpath("string(//p[@name='text_final'])"))
        self.assertFalse(tree.xpath("//p[@name='text_pre_due']"))

    def test_letter_without_level_yet_uses_the_level_the_case_qualifies_for(self):
        case = self._case(self.customer)  # 40 days overdue, no level executed yet
        self.assertFalse(case.level_id)
        tree = html.fromstring(self._html(LETTER, case.ids))
        self.assertIn("Final Notice", tree.xpath("string(//h2)"), "the title of the last level")
        self.assertTrue(tree.xpath("//p[@name='text_final']"))

    def test_letter_is_printed_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.level_first.letter_title = "First Reminder"
        self.level_first.with_context(lang="fr_FR").letter_title = "Premier rappel"
        case = self._case(self.customer)
        self._set_level(case, self.level_first)

        content = self._html(LETTER, case.ids)
        self.assertIn("First Reminder", content)
        self.assertNotIn("Premier rappel", content)
        self.assertIn(self.inv_old.invoice_date_due.strftime("%m/%d/%Y"), content)

        self.customer.lang = "fr_FR"
        content = self._html(LETTER, case.ids)
        self.assertIn("Premier rappel", content, "the letter's title is in the customer's language")
        self.assertIn(self.inv_old.invoice_date_due.strftime("%d/%m/%Y"), content, "dates in the French format")
        self.assertNotIn(self.inv_old.invoice_date_due.strftime("%m/%d/%Y"), content)
        tree = html.fromstring(content)
        self.assertIn(self._amount(1434.5, "fr_FR"), tree.xpath("string(//tr[@name='total_overdue'])"))
        self.assertNotIn(self._amount(1434.5), content)

    def test_letter_title_is_the_letter_title_of_the_level_never_its_internal_name(self):
        case = self._case(self.customer)
        self.level_second.write({"name": "Agency review", "letter_title": "Last Reminder before Legal Action"})
        self._set_level(case, self.level_second)
        tree = html.fromstring(self._html(LETTER, case.ids))
        self.assertIn("Last Reminder before Legal Action", tree.xpath("string(//h2)"))
        self.assertNotIn("Agency review", tree.text_content())

        self.level_second.letter_title = False  # empty: a title by the level's place in the policy
        self._set_level(case, self.level_first)
        tree = html.fromstring(self._html(LETTER, case.ids))
        self.assertIn("Reminder of Overdue Invoices", tree.xpath("string(//h2)"))
        self.assertNotIn(self.level_first.name, tree.xpath("string(//h2)"))

    def test_letter_names_the_creditor_in_its_body(self):
        company = self.company_data["company"]
        company.write(
            {
                "name": "Creditor Works Ltd",
                "street": "7 Harbour Lane",
                "zip": "BT1 4GB",
                "city": "Belfast",
                "vat": "GB123456789",
                "company_registry": "NI612345",
                "phone": "+44 28 9000 1234",
                "email": "credit@creditor.example.com",
            }
        )
        bank = self.env["res.bank"].create({"name": "Bank of Harbours", "bic": "HARBGB2L"})
        self.env["res.partner.bank"].create(
            {"partner_id": company.partner_id.id, "acc_number": "GB29NWBK60161331926819", "bank_id": bank.id}
        )
        case = self._case(self.customer)
        tree = html.fromstring(self._html(LETTER, case.ids))
        # in the page itself, not in a layout header that a PDF printer may drop
        page = tree.xpath("//div[contains(@class, 'o_collection_letter')]")[0]
        self.assertFalse(page.xpath("ancestor::div[contains(@class, 'header')]"))
        creditor = " ".join(page.xpath("string(.//div[@name='creditor'])").split())
        for text in (
            "Creditor Works Ltd",
            "7 Harbour Lane",
            "Belfast",
            "GB123456789",
            "NI612345",
            "+44 28 9000 1234",
            "credit@creditor.example.com",
        ):
            self.assertIn(text, creditor)
        payment = " ".join(page.xpath("string(.//div[@name='payment_details'])").split())
        for text in ("GB29NWBK60161331926819", "HARBGB2L", "Bank of Harbours", case.name):
            self.assertIn(text, payment)
        self.assertIn("Creditor Works Ltd", page.xpath("string(.//p[@name='signature'])"))

    def test_letter_prints_many_cases_each_with_its_own_items(self):
        other = self._customer("Second Sender")
        other_invoice = self._invoice(other, 25, 640.0)
        cases = self._case(self.customer) | self._case(other)
        tree = html.fromstring(self._html(LETTER, cases.ids))
        tables = tree.xpath("//table[contains(@class, 'o_collection_open_items')]")
        self.assertEqual(len(tables), 2)
        first, second = (table.text_content() for table in tables)
        self.assertIn(self.inv_old.name, first)
        self.assertNotIn(other_invoice.name, first)
        self.assertIn(other_invoice.name, second)
        self.assertNotIn(self.inv_old.name, second)

    def test_open_items_table_renders_in_a_mail_template_body(self):
        case = self._case(self.customer)
        body = (
            '<div><t t-call="account_collections.open_items_table">'
            '<t t-set="invoices" t-value="object.invoice_ids"/>'
            '<t t-set="currency" t-value="object.currency_id"/>'
            '<t t-set="amount_due" t-value="object.amount_due"/>'
            "</t></div>"
        )
        rendered = self.env["mail.render.mixin"]._render_template(body, "collection.case", case.ids, engine="qweb")
        tree = html.fromstring(str(rendered[case.id]))
        self.assertIn(self.inv_old.name, tree.text_content())
        self.assertIn(self._amount(1634.5), tree.xpath("string(//tr[@name='total_due'])"))
        self.assertFalse(tree.xpath("//tr[@name='total_overdue']"), "optional totals are left out")
        overdue = tree.xpath("//tr[contains(@class, 'o_collection_overdue')]")
        self.assertEqual(len(overdue), 2, "days overdue counted from today when no date is given")
        self.assertIn("color: #a61b1b", overdue[0].get("style"), "emphasis survives in an email (inline style)")

    def test_letter_renders_as_pdf_with_the_customer_in_the_file_name(self):
        case = self._case(self.customer)
        report = self.env["ir.actions.report"]._get_report(LETTER)
        self.assertEqual(report.binding_model_id.model, "collection.case")
        pdf, report_type = (
            self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(LETTER, case.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertGreater(len(pdf), 1000)
        self.assertEqual(safe_eval(report.print_report_name, {"object": case}), "Reminder - Lettered Logistics")

    # ------------------------------------------------------------------ customer statement
    def test_statement_aging_buckets_at_their_boundaries(self):
        customer = self._customer("Aging Boundaries")
        amounts = {0: 1.0, 1: 2.0, 30: 4.0, 31: 8.0, 60: 16.0, 61: 32.0, 90: 64.0, 91: 128.0, 120: 256.0, 121: 512.0}
        for days, amount in amounts.items():
            self._invoice(customer, days, amount)
        # current | 1-30 | 31-60 | 61-90 | 91-120 | 120+
        expected = [1.0, 6.0, 24.0, 96.0, 384.0, 512.0]
        statement = self._statement(customer)[customer.id][0]
        self.assertEqual(statement["aging"], expected)
        self.assertEqual((statement["total"], statement["overdue"]), (1023.0, 1022.0))
        self.assertEqual(len(statement["lines"]), 10)

        tree = html.fromstring(self._html(STATEMENT, customer.ids))
        for index, amount in enumerate(expected):
            cell = tree.xpath(f"string(//td[@name='aging_{index}'])")
            self.assertIn(self._amount(amount), cell, f"aging bucket {index}")
        self.assertIn(self._amount(1023.0), tree.xpath("string(//td[@name='aging_total'])"))
        # 9 invoices are overdue, the one due today is not
        self.assertEqual(
            len(tree.xpath("//table[@name='open_items']//tr[contains(@class, 'o_collection_overdue')]")), 9
        )

    def test_statement_lists_open_items_with_credit_notes(self):
        content = self._html(STATEMENT, self.customer.ids)
        tree = html.fromstring(content)
        open_items = tree.xpath("//table[@name='open_items']")[0]
        for move in self.inv_old | self.inv_recent | self.inv_not_due | self.refund:
            self.assertIn(move.name, open_items.text_content())
        self.assertIn(f"-{self._amount(100.0)}", open_items.text_content())
        statement = self._statement(self.customer)[self.customer.id][0]
        # current: 200 not due; 1-30: 300 - 100 credit note; 31-60: 1234.50
        self.assertEqual(statement["aging"], [200.0, 200.0, 1234.5, 0.0, 0.0, 0.0])
        self.assertIn(self._amount(1634.5), tree.xpath("string(//td[@name='aging_total'])"))

    def test_statement_lists_payments_of_the_last_30_days(self):
        customer = self._customer("Paying Partner")
        invoice = self._invoice(customer, 50, 1000.0)
        recent = self._pay(invoice, amount=300.0, date=self.today - timedelta(days=10))
        old = self._pay(invoice, amount=200.0, date=self.today - timedelta(days=45))
        statement = self._statement(customer)[customer.id][0]
        self.assertEqual([row["move_name"] for row in statement["payments"]], [recent.move_id.name])
        self.assertEqual(statement["total_payments"], 300.0)
        self.assertEqual(statement["total"], 500.0)

        tree = html.fromstring(self._html(STATEMENT, customer.ids))
        payments = tree.xpath("string(//table[@name='payments'])")
        self.assertIn(recent.move_id.name, payments)
        self.assertIn(self._amount(300.0), payments)
        self.assertNotIn(old.move_id.name, payments)

    def test_statement_has_one_section_per_currency(self):
        eur = self.setup_other_currency("EUR")
        customer = self._customer("Two Currencies")
        self._invoice(customer, 10, 100.0)
        self._invoice(customer, 70, 250.0, currency=eur)
        statements = self._statement(customer)[customer.id]
        self.assertEqual(
            sorted((s["currency"].name, s["total"], tuple(s["aging"])) for s in statements),
            sorted(
                [
                    (self.company_data["currency"].name, 100.0, (0.0, 100.0, 0.0, 0.0, 0.0, 0.0)),
                    ("EUR", 250.0, (0.0, 0.0, 0.0, 250.0, 0.0, 0.0)),
                ]
            ),
        )
        tree = html.fromstring(self._html(STATEMENT, customer.ids))
        self.assertEqual(len(tree.xpath("//table[@name='aging']")), 2)

    def test_statement_of_a_contact_is_the_statement_of_its_company(self):
        contact = self.env["res.partner"].create({"name": "Anna Accounts", "parent_id": self.customer.id})
        statements = self._statement(contact)
        self.assertEqual(list(statements), [self.customer.id])
        self.assertIn(self.inv_old.name, self._html(STATEMENT, contact.ids))

    def test_statement_of_a_customer_without_open_items(self):
        customer = self._customer("Settled Supplies")
        tree = html.fromstring(self._html(STATEMENT, customer.ids))
        self.assertTrue(tree.xpath("//p[@name='no_open_items']"))
        self.assertTrue(tree.xpath("//p[@name='no_payments']"))

    def test_statement_reads_the_ledger_in_one_query_for_all_customers(self):
        customers = [self._customer(f"Bulk {index}") for index in range(3)]
        for customer in customers:
            for days in (5, 45, 100):
                self._invoice(customer, days, 10.0)
        report = self.env["report.account_collections.report_customer_statement"]
        partners = self.env["res.partner"].browse([c.id for c in customers])

        def count(records):
            self.env.invalidate_all()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            statements = report._get_statements(records, self.today)
            return self.env.cr.sql_log_count - before, statements

        count(partners)  # warm the caches that do not depend on the data (access rights, companies)
        one, _statements = count(partners[:1])
        many, statements = count(partners | self.customer)
        self.assertEqual(one, many, "the number of queries does not grow with customers or invoices")
        self.assertEqual(len(statements), 4)

    def test_statement_renders_as_pdf(self):
        report = self.env["ir.actions.report"]._get_report(STATEMENT)
        self.assertEqual(report.binding_model_id.model, "res.partner")
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(STATEMENT, self.customer.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(
            safe_eval(report.print_report_name, {"object": self.customer}), "Statement - Lettered Logistics"
        )
