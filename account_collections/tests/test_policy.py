from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestCollectionPolicy(CollectionsCommon):
    def test_levels_are_ordered_by_delay(self):
        self.policy.level_ids = [(0, 0, self._level_vals("Pre-pre", -20, sequence=99))]
        self.assertEqual(self.policy.level_ids.mapped("delay_days"), [-20, -5, 10, 30])
        self.assertEqual(self.policy.level_count, 4)

    def test_one_default_policy_per_company(self):
        company = self.company_data["company"]
        self.env["collection.policy"].search([("company_id", "=", company.id)]).is_default = False
        self.policy.is_default = True
        other = self.policy.copy()
        self.assertFalse(other.is_default, "a copy never steals the default flag")
        with self.assertRaisesRegex(ValidationError, "already has a default collection policy"):
            other.is_default = True
        self.assertEqual(self.env["collection.policy"]._get_company_default(company), self.policy)

    def test_default_policy_is_per_company(self):
        other_company = self.setup_other_company()["company"]
        policy_b = self.env["collection.policy"].create(
            {"name": "B", "company_id": other_company.id, "is_default": True}
        )
        self.assertEqual(self.env["collection.policy"]._get_company_default(other_company), policy_b)

    def test_duplicate_delay_in_a_policy_is_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.policy.level_ids = [(0, 0, self._level_vals("Again ten", 10))]
            self.policy.flush_recordset()

    def test_level_without_any_action_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "'Idle' of policy 'Test policy' does nothing"):
            self.env["collection.level"].create({"policy_id": self.policy.id, "name": "Idle", "delay_days": 90})

    def test_a_fee_alone_is_an_action(self):
        level = self.env["collection.level"].create(
            {"policy_id": self.policy.id, "name": "Fee", "delay_days": 90, "fee_amount": 15.0}
        )
        self.assertTrue(level._has_action())

    def test_email_level_needs_a_template(self):
        with self.assertRaisesRegex(ValidationError, "sends an email but has no email template"):
            self.env["collection.level"].create(
                {"policy_id": self.policy.id, "name": "Mail", "delay_days": 90, "send_email": True}
            )

    def test_activity_level_needs_an_activity_type(self):
        with self.assertRaisesRegex(ValidationError, "creates an activity but has no activity type"):
            self.env["collection.level"].create(
                {"policy_id": self.policy.id, "name": "Call", "delay_days": 90, "create_activity": True}
            )

    def test_collector_reads_but_cannot_edit_policies(self):
        policy = self.policy.with_user(self.collector)
        self.assertEqual(policy.level_ids.mapped("name"), ["Before due", "First", "Second"])
        with self.assertRaises(AccessError):
            policy.name = "Mine now"
        with self.assertRaises(AccessError):
            self.env["collection.level"].with_user(self.collector).create(
                self._level_vals("Sneaky", 45, policy_id=self.policy.id)
            )

    def test_manager_edits_policies(self):
        self.policy.with_user(self.collection_manager).name = "Renamed"
        self.assertEqual(self.policy.name, "Renamed")

    def test_policies_of_other_companies_are_hidden(self):
        other_company = self.setup_other_company()["company"]
        foreign = self.env["collection.policy"].create({"name": "Foreign", "company_id": other_company.id})
        visible = self.env["collection.policy"].with_user(self.collection_manager).search([])
        self.assertIn(self.policy, visible)
        self.assertNotIn(foreign, visible)


@tagged("post_install", "-at_install")
class TestCollectionStage(CollectionsCommon):
    def test_nine_coded_stages_exist(self):
        codes = self.env["collection.stage"].search([]).mapped("code")
        self.assertCountEqual(
            codes,
            ["new", "reminded", "promised", "plan", "disputed", "agency", "legal", "paid", "written_off"],
        )

    def test_stage_found_by_code_after_rename(self):
        stage = self.env.ref("account_collections.stage_paid")
        stage.name = "Settled"
        self.assertEqual(self.env["collection.stage"]._get_by_code("paid"), stage)

    def test_stage_found_by_code_after_the_code_moves(self):
        Stage = self.env["collection.stage"]
        old = self.env.ref("account_collections.stage_paid")
        self.assertEqual(Stage._get_by_code("paid"), old)
        old.code = False
        self.assertFalse(Stage._get_by_code("paid"), "a stage losing its code is no longer found by it")
        new = Stage.create({"name": "Settled", "code": "paid"})
        self.assertEqual(Stage._get_by_code("paid"), new, "the stage now holding the code")

    def test_stage_code_is_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["collection.stage"].create({"name": "Paid again", "code": "paid"})
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestCollectionSettings(CollectionsCommon):
    def test_defaults_work_out_of_the_box(self):
        company = self.company_data["company"]
        self.assertEqual((company.collection_window_start, company.collection_window_end), (8.0, 21.0))
        self.assertEqual(company.collection_weekly_cap, 7)

    def test_inverted_contact_window_is_refused(self):
        company = self.company_data["company"]
        with self.assertRaisesRegex(ValidationError, "must start before it ends"):
            company.write({"collection_window_start": 22.0, "collection_window_end": 8.0})

    def test_settings_write_through_to_the_company(self):
        settings = self.env["res.config.settings"].create({"collection_weekly_cap": 3})
        settings.execute()
        self.assertEqual(self.env.company.collection_weekly_cap, 3)
