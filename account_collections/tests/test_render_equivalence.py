from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import CollectionsCommon

# the customers' languages, each with its own translation of the templates' greeting
LANGUAGES = {"en_US": None, "fr_FR": {"Dear ": "Cher ", "Kind regards": "Cordialement"}, "de_DE": {"Dear ": "Hallo "}}


@tagged("post_install", "-at_install")
class TestRenderEquivalence(CollectionsCommon):
    """The collections emails keep the compiled QWeb body over the records they render (context
    ``collection_render_once``): what they send is what Odoo's own rendering gives, byte for byte,
    for every template the addon ships and in each customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.templates = cls.env["mail.template"].browse(
            cls.env["ir.model.data"]
            .search([("module", "=", "account_collections"), ("model", "=", "mail.template")])
            .mapped("res_id")
        )
        for template in cls.templates:
            cls._translate_body(template, {lang: words for lang, words in LANGUAGES.items() if words})
        cls.policy = cls._email_policy("Reminders", [("Before due", -5), ("First", 10), ("Second", 30)])
        term_epd = cls.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "company_id": cls.company.id,
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "early_pay_discount_computation": "included",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        cls.customers = cls.env["res.partner"]
        for lang in LANGUAGES:
            # one customer overdue (with a credit note and an invoice in its early payment days), one due soon
            overdue = cls._customer(f"Overdue {lang}", lang=lang, email=f"ap@overdue-{lang}.example.com")
            soon = cls._customer(f"Soon {lang}", lang=lang, email=f"ap@soon-{lang}.example.com")
            for partner in overdue | soon:
                partner.with_company(cls.company).collection_policy_id = cls.policy
            cls._invoice(overdue, 20, 1234.5)
            cls._invoice(overdue, 45, 80.0)
            epd = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": overdue.id,
                    "invoice_date": fields.Date.context_today(overdue) - timedelta(days=2),
                    "invoice_payment_term_id": term_epd.id,
                    "invoice_line_ids": [Command.create({"name": "Goods", "price_unit": 500.0, "tax_ids": []})],
                }
            )
            epd.action_post()
            cls._invoice(soon, -3, 99.99)
            cls.customers |= overdue | soon
        # the run gives the cases their levels (the reminder's wording follows the level)
        cls.env["collection.case"].run_collections()
        cls.cases = cls.env["collection.case"].search([("partner_id", "in", cls.customers.ids)])
        cls.env["collection.engine"]._ensure_invoice_access_tokens(cls.cases)
        overdue_cases = cls.cases.filtered(lambda c: c.partner_id.name.startswith("Overdue"))
        cls.plans = cls.env["collection.payment.plan"].create(
            [
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(case.open_invoice_ids.ids)],
                    "start_date": fields.Date.context_today(case) + timedelta(days=3),
                    "installment_count": 3,
                    "interval": "monthly",
                }
                for case in overdue_cases
            ]
        )
        cls.settlements = cls.env["collection.settlement"].create(
            [
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(case.open_invoice_ids.ids)],
                    "amount_settled": 1000.0,
                }
                for case in overdue_cases
            ]
        )

    def _records(self, template):
        return {
            "collection.case": self.cases,
            "collection.payment.plan": self.plans,
            "collection.payment.plan.line": self.plans.line_ids,
            "collection.settlement": self.settlements,
            "res.partner": self.customers,
        }[template.model]

    def test_every_template_renders_like_odoo_in_every_language(self):
        self.assertEqual(
            set(self.templates.mapped("model")),
            {"collection.case", "collection.payment.plan", "collection.payment.plan.line"}
            | {"collection.settlement", "res.partner"},
            "each template the addon ships is rendered here",
        )
        self.assertEqual(len(self.templates), 6)
        for template in self.templates:
            records = self._records(template)
            self.assertEqual(set(template._classify_per_lang(records.ids)), set(LANGUAGES), template.name)
            bodies = self.assertRendersLikeOdoo(template, records)
            if template == self.env.ref("account_collections.mail_template_collection_reminder"):
                # what the comparison covered: the languages, both wordings, the discount line, the links
                overdue_fr = self.cases.filtered(lambda c: c.partner_id.name == "Overdue fr_FR")
                self.assertIn("Cher Overdue fr_FR", bodies[overdue_fr.id])
                self.assertIn("1\N{NO-BREAK SPACE}234,50", bodies[overdue_fr.id])
                self.assertIn("o_collection_epd", bodies[overdue_fr.id])
                self.assertIn("access_token=", bodies[overdue_fr.id])
                soon_de = self.cases.filtered(lambda c: c.partner_id.name == "Soon de_DE")
                self.assertIn("Hallo Soon de_DE", bodies[soon_de.id])
                self.assertIn("will soon be due", bodies[soon_de.id])

    def test_an_edited_template_renders_its_new_body(self):
        """A manager edits the reminder while the server runs: the next reminders show the edit
        (the compiled body kept is the old body's, and only its)."""
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        self.assertRendersLikeOdoo(template, self.cases)
        template.body_html = template.body_html.replace("Dear ", "Hello ")
        bodies = self.assertRendersLikeOdoo(template, self.cases, fresh=False)
        english = self.cases.filtered(lambda c: c.partner_id.lang == "en_US")
        self.assertIn("Hello Overdue en_US", "".join(bodies[case.id] for case in english))
        self.assertEqual(self.assertRendersLikeOdoo(template, self.cases, fresh=False), bodies, "and again")

    def test_comments_are_kept_or_dropped_as_odoo_does(self):
        """HTML comments in a body: the mass mailing composer keeps them, other renderings drop them;
        the compiled body kept for the one is never used for the other, in either order."""
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        source = '<div><p>Hello</p><!-- a note --><t t-if="object"><!-- inside --><p t-out="object.name"/></t></div>'
        cases = self.cases[:2]
        for order in ((True, False, True), (False, True, False)):
            self.env.registry.clear_cache("templates")
            for preserve_comments in order:
                with self.subTest(order=order, preserve_comments=preserve_comments):
                    options = {"preserve_comments": preserve_comments}
                    odoo = template._render_template(source, cases._name, cases.ids, engine="qweb", options=options)
                    kept = template.with_context(collection_render_once=True)._render_template(
                        source, cases._name, cases.ids, engine="qweb", options=options
                    )
                    self.assertEqual(kept, odoo)
                    self.assertEqual("<!-- a note --><!-- inside -->" in kept[cases[0].id], preserve_comments)

    def test_one_reminder_for_several_cases_renders_like_odoo(self):
        """A reminder listing a customer's cases in two currencies (as the dispatch renders it,
        context ``collection_reminder_cases``) is Odoo's own rendering, in each language."""
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        overdue = self.customers.filtered(lambda p: p.name.startswith("Overdue"))
        for partner in overdue:
            self._invoice(partner, 12, 321.0, currency=eur)
        self.env["collection.case"].refresh_cases()
        cases = self.env["collection.case"].search([("partner_id", "in", overdue.ids), ("state", "=", "open")])
        self.env["collection.engine"]._ensure_invoice_access_tokens(cases)
        leads = cases.filtered(lambda c: c.currency_id != eur)
        listed = {
            lead.id: (lead | cases.filtered(lambda c, p=lead.partner_id: c.partner_id == p) - lead).ids
            for lead in leads
        }
        self.assertEqual({len(ids) for ids in listed.values()}, {2}, "two cases per customer")
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        bodies = self.assertRendersLikeOdoo(template.with_context(collection_reminder_cases=listed), leads)
        for lead in leads:
            body = str(bodies[lead.id])
            for invoice in cases.browse(listed[lead.id]).dunning_invoice_ids:
                self.assertIn(invoice.name, body)
            self.assertIn("(EUR)", body)
            self.assertIn(f"({lead.currency_id.name})", body)

    def test_reminder_emails_are_the_ones_odoo_composes(self):
        """The reminders the dispatch queues (the kept compilation) are the emails Odoo's mass
        mailing composer writes without it: same subject, body, sender and recipients."""
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        kept = template._collection_create_mails(self.cases)
        composer = (
            self.env["mail.compose.message"]
            .with_context(active_model=self.cases._name, active_ids=self.cases.ids, mail_notify_force_send=False)
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": self.cases._name,
                    "res_ids": str(self.cases.ids),
                    "template_id": template.id,
                    "force_send": False,
                    "auto_delete": False,
                    "auto_delete_keep_log": True,
                }
            )
        )
        odoo = {mail.res_id: mail for mail in composer._action_send_mail()[0]}
        self.assertEqual(set(kept), set(self.cases.ids))
        self.assertEqual(set(odoo), set(self.cases.ids))
        fields_compared = ["subject", "body_html", "body", "email_from", "recipient_ids", "model", "message_type"]
        fields_compared += ["reply_to", "email_to", "is_notification", "auto_delete", "attachment_ids"]
        for case in self.cases:
            with self.subTest(case=case.partner_id.name):
                self.assertEqual(
                    kept[case.id].read(fields_compared, load=None)[0] | {"id": None},
                    odoo[case.id].read(fields_compared, load=None)[0] | {"id": None},
                )
                self.assertEqual(kept[case.id].state, "outgoing", "queued, not sent inline")
