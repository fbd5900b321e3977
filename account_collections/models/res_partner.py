from odoo import api, fields, models

from ..tools import GROUP_USER, check_group


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_policy_id = fields.Many2one(
        "collection.policy",
        string="Collection Policy",
        company_dependent=True,
        domain="[('company_id', '=', current_company_id)]",
        help="Overrides the company's default collection policy for this customer.",
    )
    collection_user_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain="[('share', '=', False)]",
        help="Collector assigned to this customer's cases.",
    )
    collection_case_ids = fields.One2many("collection.case", "partner_id", string="Collection Cases")
    collection_case_count = fields.Integer(compute="_compute_collection_case_count")
    avg_days_late = fields.Float(digits=(16, 1), readonly=True, help="Average delay of paid invoices.")
    on_time_ratio = fields.Float(
        string="On-time Ratio", digits=(16, 2), readonly=True, help="Share of invoices paid by their due date (0-1)."
    )
    risk_score = fields.Integer(readonly=True, help="Payment risk from 0 (pays on time) to 100 (rarely pays).")
    collection_email_opt_out = fields.Boolean(string="No Collection Emails")
    collection_letter_opt_out = fields.Boolean(string="No Collection Letters")
    collection_sms_opt_out = fields.Boolean(string="No Collection SMS")
    collection_call_opt_out = fields.Boolean(string="No Collection Calls")
    do_not_contact = fields.Boolean(
        help="Never contact this customer about collections, on any channel (e.g. insolvency, legal instruction).",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "collection_email_opt_out",
            "collection_letter_opt_out",
            "collection_sms_opt_out",
            "collection_call_opt_out",
            "do_not_contact",
        ]

    def _compute_collection_case_count(self):
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["collection.case"]._read_group([("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.collection_case_count = counts.get(partner.commercial_partner_id, 0)

    def action_send_collection_statement(self):
        check_group(self.env, GROUP_USER, self.env._("send a customer statement"))
        self.ensure_one()
        partner = self.commercial_partner_id
        template = self.env.ref("account_collections.mail_template_customer_statement")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": partner.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    def action_view_collection_cases(self):
        check_group(self.env, GROUP_USER, self.env._("view the collection cases of a customer"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_case")
        cases = self.commercial_partner_id.collection_case_ids
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 0}
        if len(cases) == 1:
            action.update(view_mode="form", res_id=cases.id, views=[(False, "form")])
        return action
