from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace
from unittest.mock import patch

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import mail_new_test_user


class CollectionsCommon(AccountTestInvoicingCommon):
    """Shared set-up: a company with accounts, a collector, a manager and a policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        # the tests run their days on any weekday: weekends are contact days unless a test says otherwise
        company.collection_contact_weekends = True
        cls.collector = mail_new_test_user(
            cls.env,
            login="collector",
            name="Colette Collector",
            groups="base.group_user,account_collections.group_collection_user",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.collection_manager = mail_new_test_user(
            cls.env,
            login="collection_manager",
            name="Marc Manager",
            groups="base.group_user,account_collections.group_collection_manager",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.activity_call = cls.env.ref("mail.mail_activity_data_call")
        cls.policy = cls.env["collection.policy"].create(
            {
                "name": "Test policy",
                "company_id": company.id,
                "level_ids": [
                    (0, 0, cls._level_vals("Before due", -5)),
                    (0, 0, cls._level_vals("First", 10)),
                    (0, 0, cls._level_vals("Second", 30)),
                ],
            }
        )

    @classmethod
    def setup_other_company(cls, **kwargs):
        company_data = super().setup_other_company(**kwargs)
        company_data["company"].collection_contact_weekends = True
        return company_data

    @contextmanager
    def assertRaisesRegex(self, exception, regex, msg=None):
        """unittest's assertRaisesRegex, rolling back what the failed call wrote like Odoo's assertRaises."""
        with self.assertRaises(exception, msg=msg) as cm:
            yield cm
        self.assertRegex(str(cm.exception), regex)

    @contextmanager
    def assertRaisesInPlace(self, exception, regex=None):
        """The block must raise ``exception`` (matching ``regex``), and nothing is rolled back.

        Odoo's assertRaises runs the block in a savepoint and rolls it back, so a "nothing changed"
        check after it passes even when the failed call wrote half of its work. After this one,
        whatever the call wrote before raising is still in the transaction for the checks that follow.
        """
        caught = SimpleNamespace(exception=None)
        try:
            yield caught
        except exception as error:
            caught.exception = error
        else:
            self.fail(f"{exception.__name__} not raised")
        if regex:
            self.assertRegex(str(caught.exception), regex)

    @classmethod
    def _run_collections(cls, day, **kwargs):
        """The hourly cron and the dispatch it triggers: run the engine for the day, then render
        the reminder emails it queued. Returns the run's counts."""
        counts = cls.env["collection.case"].run_collections(date=str(day), **kwargs)
        cls.env["collection.event"].sudo()._dispatch_emails()
        return counts

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("account_collections.group_collection_manager")

    @classmethod
    def _setup_eu_charges(cls, company):
        """``company`` charges late fees and EU statutory interest: 4 % reference rate for the first
        half of 2026 (table and fallback) plus 8 points; its time zone UTC."""
        company.write(
            {
                "collection_fee_product_id": cls.env.ref("account_collections.product_late_fee").id,
                "collection_interest_product_id": cls.env.ref("account_collections.product_late_interest").id,
                "collection_reference_rate": 4.0,
                "collection_interest_margin": 8.0,
                "collection_interest_regime": "eu",
            }
        )
        company.partner_id.tz = "UTC"
        cls._set_rate("eu", date(2026, 1, 1), 4.0)

    @classmethod
    def _set_rate(cls, regime, date_from, rate):
        """The reference rate of ``regime`` for the half-year from ``date_from`` (updated or added)."""
        Rate = cls.env["collection.reference.rate"]
        record = Rate.search([("regime", "=", regime), ("date_from", "=", date_from)])
        if record:
            record.rate = rate
        else:
            Rate.create({"regime": regime, "date_from": date_from, "rate": rate})

    @classmethod
    def _level_vals(cls, name, delay_days, **extra):
        vals = {
            "name": name,
            "delay_days": delay_days,
            "create_activity": True,
            "activity_type_id": cls.activity_call.id,
        }
        vals.update(extra)
        return vals

    @classmethod
    def _email_policy(cls, name, levels, company=None):
        """A policy whose levels send the standard reminder email only; ``levels``: [(name, delay_days)]."""
        template = cls.env.ref("account_collections.mail_template_collection_reminder")
        email = {"send_email": True, "mail_template_id": template.id, "create_activity": False}
        return cls.env["collection.policy"].create(
            {
                "name": name,
                "company_id": (company or cls.company_data["company"]).id,
                "level_ids": [Command.create(cls._level_vals(level, delay, **email)) for level, delay in levels],
            }
        )

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _invoice(cls, partner, due_days_ago, amount, move_type="out_invoice", currency=None, company=None, post=True):
        """A customer invoice (or credit note) due ``due_days_ago`` days ago (negative: in the future)."""
        company = company or cls.company_data["company"]
        today = fields.Date.context_today(cls.env["res.partner"])
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": today - timedelta(days=max(due_days_ago, 0) + 1),
                    "invoice_date_due": today - timedelta(days=due_days_ago),
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoices, amount=None, date=None):
        vals = {"payment_date": date or fields.Date.context_today(cls.env["res.partner"])}
        if amount is not None:
            vals["amount"] = amount
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        return wizard._create_payments()

    def _case(self, partner, company=None, invoice_policy=None):
        """The customer's open case (in the main company), or that of its invoices with ``invoice_policy``."""
        return self.env["collection.case"].search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", (company or self.company_data["company"]).id),
                ("state", "=", "open"),
                ("invoice_policy_id", "=", invoice_policy.id if invoice_policy else False),
            ]
        )

    # ------------------------------------------------------------------ rendering
    @classmethod
    def _translate_body(cls, template, translations):
        """Give ``template`` a body in other languages: ``translations`` {lang: {English: translated}},
        applied to its English body (each language activated first)."""
        body = template.with_context(lang="en_US").body_html
        for lang, words in translations.items():
            cls.env["res.lang"]._activate_lang(lang)
            translated = body
            for english, word in words.items():
                translated = translated.replace(english, word)
            template.update_field_translations("body_html", {lang: translated})

    def assertRendersLikeOdoo(self, template, records, fresh=True):
        """The template's body rendered on ``records`` the way the collections emails render it
        (``collection_render_once``: the compiled body kept over the records) is Odoo's own
        rendering of it, byte for byte, in each record's language, with and without the comments
        (the mass mailing composer keeps them); and it is the kept path that ran: from an empty
        cache (``fresh``), it compiles once per language where Odoo compiles once per record.

        :param fresh: empty the compiled templates' cache first (else what earlier renderings kept
            is used, as in a running server)
        :return: the rendered bodies, {record id: Markup}, as the composer renders them
        """
        self.assertTrue(records, "something to render")
        IrQweb = type(self.env["ir.qweb"])
        compile_template = IrQweb._compile
        compiled = []

        def counting_compile(qweb, template_ref):
            compiled.append(template_ref)
            return compile_template(qweb, template_ref)

        languages = template._classify_per_lang(records.ids)
        for preserve_comments in (False, True):
            options = {"preserve_comments": preserve_comments}
            if fresh:
                self.env.registry.clear_cache("templates")
            compiled.clear()
            # the rendering may write (portal tokens): both renderings see the same records
            with patch.object(IrQweb, "_compile", counting_compile):
                odoo = template._render_field("body_html", records.ids, compute_lang=True, options=options)
                odoo_compiled = len(compiled)
                kept = template.with_context(collection_render_once=True)._render_field(
                    "body_html", records.ids, compute_lang=True, options=options
                )
            self.assertEqual(odoo_compiled, len(records), "Odoo's rendering compiles the body for each record")
            kept_compiled = len(compiled) - odoo_compiled
            if fresh:
                self.assertEqual(kept_compiled, len(languages), "the kept path compiles once per language")
            else:
                self.assertLessEqual(kept_compiled, len(languages), "the kept path compiles at most once per language")
            self.assertEqual(list(kept), list(odoo))
            for record in records:
                with self.subTest(template=template.name, record=record.display_name, options=options):
                    self.assertEqual(type(kept[record.id]), type(odoo[record.id]))
                    self.assertEqual(str(kept[record.id]).encode(), str(odoo[record.id]).encode())
        return kept
