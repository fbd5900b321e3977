"""The demo desk's history: what the collectors and the engine did before the database was handed over.

Called from ``demo/collection_case_demo.xml`` once the demo customers, invoices and agreements
exist. Every step goes through the suite's public entry points, as the user who would take it
(promises, calls, a write-off, the engine run and its email dispatch, letters printed, a legal
handover, a settlement offer); the days before today are simulated with the run date
(``collection_date``), as the engine simulates the day of a run.
"""

from datetime import timedelta

from odoo import Command, api, fields, models


class CollectionCase(models.Model):
    _inherit = "collection.case"

    @api.model
    def _demo_activate_languages(self, codes):
        """Activate the languages of the demo customers, with the translations of every module."""
        for code in codes:
            self.env["res.lang"]._activate_lang(code)
        modules = self.env["ir.module.module"].search([("state", "in", ("installed", "to install", "to upgrade"))])
        modules._update_translations(filter_lang=list(codes))

    @api.model
    def _demo_register_payment(self, invoice, amount, day):
        """Register a customer payment of ``amount`` on ``invoice``, dated ``day``."""
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": amount, "payment_date": day}
        )._create_payments()

    @api.model
    def _demo_desk_history(self):
        """Calls, a promise kept and one broken, a write-off, the day's engine run with its
        letters printed, a legal handover and a settlement offer."""
        today = fields.Date.context_today(self)
        company = self.env.ref("base.main_company")
        manager = self.env.ref("base.user_admin")

        def invoice(xmlid):
            return self.env.ref(f"account_collections.{xmlid}")

        def env_of(user, days_ago=0):
            """The environment of ``user`` acting ``days_ago`` days ago."""
            context = dict(self.env.context)
            if days_ago:
                context["collection_date"] = today - timedelta(days=days_ago)
            return self.env(user=user, su=False, context=context)

        danube_invoice = invoice("demo_invoice_danube_hotels_1")
        danube = danube_invoice.collection_case_id
        vega_invoice = invoice("demo_invoice_vega_retail_2")
        vega = vega_invoice.collection_case_id
        kessler = invoice("demo_invoice_kessler_gmbh_1").collection_case_id
        maple_invoice = invoice("demo_invoice_maple_clinic_1")
        bluewave = invoice("demo_invoice_azure_interior_b2b_1").collection_case_id

        # three weeks ago: Danube Hotels promised on the phone to pay in full within eight days
        env = env_of(danube.user_id, 20)
        danube.with_env(env).action_log_call(
            "promise", note="The finance manager will pay in full once the season's deposits are in."
        )
        env["collection.promise"].create(
            {
                "case_id": danube.id,
                "invoice_ids": [Command.set(danube_invoice.ids)],
                "amount": danube_invoice.amount_residual,
                "promised_date": today - timedelta(days=12),
                "note": "Promised on the phone by the finance manager.",
            }
        ).action_confirm()
        # ... and Vega Retail promised part of its last invoice, and paid it ten days ago
        env_of(vega.user_id, 20)["collection.promise"].create(
            {
                "case_id": vega.id,
                "invoice_ids": [Command.set(vega_invoice.ids)],
                "amount": 400.0,
                "promised_date": today - timedelta(days=8),
                "note": "400 now, the rest with their next order.",
            }
        ).action_confirm()
        self._demo_register_payment(vega_invoice, 400.0, today - timedelta(days=10))
        # two days ago: nobody answered at Kessler
        kessler.with_env(env_of(kessler.user_id, 2)).action_log_call(
            "no_answer", note="Voicemail of the accounts department: left a message asking for a call back."
        )

        # the clinic closed down: its debt is written off (entry posted, case closed)
        env_of(manager)["collection.write.off"].create(
            {
                "case_id": maple_invoice.collection_case_id.id,
                "invoice_ids": [Command.set(maple_invoice.ids)],
                "reason_code": "uncollectible",
                "reason": "The clinic closed down and its owner cannot be reached: "
                "a claim would cost more than it recovers.",
            }
        ).action_post()

        # today's run, as the cron runs it. The contact window is open all day, weekends included,
        # for this run only: the demo is installed at any hour of any day, its log must not depend on it.
        window = {
            name: company[name]
            for name in ("collection_window_start", "collection_window_end", "collection_contact_weekends")
        }
        company.write(
            {"collection_window_start": 0.0, "collection_window_end": 24.0, "collection_contact_weekends": True}
        )
        self._run_collections()
        self.env["collection.event"].dispatch_emails()
        company.write(window)
        # the letters of the run, printed by the manager
        Event = env_of(manager)["collection.event"]
        letters = Event.search([("channel", "=", "letter"), ("state", "=", "queued")])
        if letters and self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok":
            letters.action_print_letters()

        # after its final notice, Bluewave's claim goes to the lawyers, with the legal file
        env = env_of(bluewave.user_id)
        lawyer = self.env.ref("account_collections.demo_partner_lawyer")
        env["collection.legal.handover"].create(
            {
                "case_id": bluewave.id,
                "lawyer_id": lawyer.id,
                "note": "Please send a formal notice, then file a claim for both invoices.",
            }
        ).action_confirm()
        env["collection.legal.cost"].create(
            {
                "case_id": bluewave.id,
                "name": "Formal notice by the lawyer",
                "partner_id": lawyer.id,
                "amount": 180.0,
                "recharge": True,
            }
        )

        # Danube broke its promise (the run logged it): 10 % off if it pays within two weeks
        env_of(danube.user_id)["collection.settlement"].create(
            {
                "case_id": danube.id,
                "invoice_ids": [Command.set(danube_invoice.ids)],
                "discount_percentage": 10.0,
                "deadline": today + timedelta(days=14),
                "note": "Full and final settlement of the invoice if paid by the deadline.",
            }
        ).action_offer()
