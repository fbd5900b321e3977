from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import mail_new_test_user


class CollectionsCommon(AccountTestInvoicingCommon):
    """Shared set-up: a company with accounts, a collector, a manager and a policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
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

    def _case(self, partner, company=None):
        return self.env["collection.case"].search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", (company or self.company_data["company"]).id),
                ("state", "=", "open"),
            ]
        )
