from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSmsLevel(CollectionsCommon):
    def test_sms_alone_is_an_action_but_needs_a_template(self):
        with self.assertRaisesRegex(ValidationError, "sends an SMS but has no SMS template"):
            self.env["collection.level"].create(
                {"policy_id": self.policy.id, "name": "Text", "delay_days": 45, "send_sms": True}
            )
        template = self.env["sms.template"].create(
            {
                "name": "Reminder",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "body": "Please pay",
            }
        )
        level = self.env["collection.level"].create(
            {
                "policy_id": self.policy.id,
                "name": "Text",
                "delay_days": 45,
                "send_sms": True,
                "sms_template_id": template.id,
            }
        )
        self.assertTrue(level._has_action())

    def test_max_segments_defaults_to_two_and_must_be_positive(self):
        company = self.company_data["company"]
        self.assertEqual(company.collection_sms_max_segments, 2)
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            company.collection_sms_max_segments = 0
