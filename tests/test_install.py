"""The three collections addons install together and expose their menus and groups."""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

MODULES = ["account_collections", "account_collections_sms", "account_collections_agency"]


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = mail_new_test_user(
            cls.env, login="coll_user", groups="base.group_user,account_collections.group_collection_user"
        )
        cls.manager = mail_new_test_user(
            cls.env, login="coll_manager", groups="base.group_user,account_collections.group_collection_manager"
        )
        cls.config_menu = cls.env.ref("account_collections.menu_collections_config")

    def _visible(self, user, xmlid):
        menus = self.env["ir.ui.menu"].with_user(user)
        return self.env.ref(xmlid).id in menus._visible_menu_ids()

    def test_modules_are_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", MODULES)])
        self.assertEqual(sorted(modules.mapped("name")), sorted(MODULES))
        self.assertEqual(set(modules.mapped("state")), {"installed"})

    def test_manager_group_implies_user_group(self):
        user_group = self.env.ref("account_collections.group_collection_user")
        manager_group = self.env.ref("account_collections.group_collection_manager")
        self.assertIn(user_group, manager_group.implied_ids)
        self.assertTrue(self.manager.has_group("account_collections.group_collection_user"))
        self.assertFalse(self.user.has_group("account_collections.group_collection_manager"))
        self.assertTrue(self.user.has_group("account.group_account_invoice"), "collectors need to see invoices")

    def test_manager_sees_the_configuration_menus(self):
        for xmlid in (
            "account_collections.menu_collections_root",
            "account_collections.menu_collections_config",
            "account_collections.menu_collection_policy",
            "account_collections.menu_collection_stage",
            "account_collections.menu_collection_reference_rate",
            "account_collections_agency.menu_collection_agency",
        ):
            self.assertTrue(self._visible(self.manager, xmlid), xmlid)

    def test_user_cannot_open_the_configuration(self):
        self.assertFalse(self._visible(self.user, "account_collections.menu_collections_config"))
        for menu in self.env["ir.ui.menu"].search([("id", "child_of", self.config_menu.id)]) - self.config_menu:
            self.assertFalse(self._visible(self.user, menu.get_external_id()[menu.id]), menu.complete_name)
        # and the configuration records behind those actions stay read-only for them
        for model, vals in (
            ("collection.policy", {"name": "Mine"}),
            ("collection.stage", {"name": "Mine"}),
            ("collection.reference.rate", {"regime": "eu", "date_from": "2030-01-01", "rate": 1.0}),
            ("collection.agency", {"name": "Mine", "partner_id": self.user.partner_id.id}),
        ):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.user).create(vals)

    def test_configuration_actions_open_for_the_manager(self):
        for xmlid in (
            "account_collections.action_collection_policy",
            "account_collections.action_collection_stage",
            "account_collections.action_collection_reference_rate",
            "account_collections_agency.action_collection_agency",
        ):
            action = self.env["ir.actions.act_window"].with_user(self.manager)._for_xml_id(xmlid)
            model = self.env[action["res_model"]].with_user(self.manager)
            views = model.get_views([(False, view_type) for view_type in action["view_mode"].split(",")])
            self.assertEqual(set(views["views"]), set(action["view_mode"].split(",")), xmlid)
            model.search([], limit=1)  # raises AccessError if the manager could not list them

    def test_demo_data_is_loaded(self):
        policy = self.env.ref("account_collections.policy_standard")
        self.assertTrue(policy.is_default)
        self.assertEqual(policy.level_ids.mapped("delay_days"), [-3, 10, 20, 30, 60])
        self.assertTrue(policy.level_ids.filtered(lambda lvl: lvl.delay_days == 20).send_sms, "SMS step (demo)")
        self.assertTrue(policy.level_ids[0].mail_template_id, "the default policy emails out of the box")
        self.assertTrue(self.env.ref("account_collections_agency.demo_agency").include_fields)
