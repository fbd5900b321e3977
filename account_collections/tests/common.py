from contextlib import contextmanager

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
