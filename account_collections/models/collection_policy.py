from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import GROUP_MANAGER, check_group


class CollectionPolicy(models.Model):
    _name = "collection.policy"
    _description = "Collection Policy"
    _order = "company_id, sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    is_default = fields.Boolean(
        string="Default Policy",
        help="Applied to every customer of the company that has no policy of their own.",
    )
    level_ids = fields.One2many("collection.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(string="Description", translate=True)
    risk_auto_assign = fields.Boolean(
        string="Assign by Risk",
        help="The daily run gives this policy to customers whose risk score is within the band, "
        "unless their policy was set by hand.",
    )
    statement_day = fields.Integer(
        string="Monthly Statement Day",
        help="Day of the month (1-28) on which the customers of the policy are emailed their statement "
        "(0: none); a customer's own day comes first.",
    )
    risk_score_min = fields.Integer(string="Risk Score From", default=0, help="Lowest risk score of the band (0-100).")
    risk_score_max = fields.Integer(string="Risk Score To", default=100, help="Highest risk score of the band (0-100).")

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("is_default", "company_id", "active")
    def _check_single_default(self):
        defaults = self.filtered(lambda p: p.is_default and p.active)
        if not defaults:
            return
        groups = self._read_group(
            [("is_default", "=", True), ("company_id", "in", defaults.company_id.ids)],
            ["company_id"],
            ["id:count"],
        )
        for company, count in groups:
            if count > 1:
                raise ValidationError(
                    self.env._(
                        "Company %(company)s already has a default collection policy. "
                        "Untick 'Default Policy' on the other policy first.",
                        company=company.display_name,
                    )
                )

    @api.constrains("statement_day")
    def _check_statement_day(self):
        for policy in self:
            if not 0 <= policy.statement_day <= 28:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the monthly statement day must be between 1 and 28 "
                        "(every month has it), or 0 for none (got %(day)s).",
                        policy=policy.display_name,
                        day=policy.statement_day,
                    )
                )

    @api.constrains("risk_score_min", "risk_score_max")
    def _check_risk_band(self):
        for policy in self:
            if not 0 <= policy.risk_score_min <= policy.risk_score_max <= 100:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the risk band must satisfy 0 <= from <= to <= 100 (got %(min)s-%(max)s).",
                        policy=policy.display_name,
                        min=policy.risk_score_min,
                        max=policy.risk_score_max,
                    )
                )

    def action_apply_risk_bands(self):
        """Assign the risk-band policies of these policies' companies to every customer whose
        payment behaviour is known, now (the daily run only does it for customers that change)."""
        check_group(self.env, GROUP_MANAGER, self.env._("apply the risk bands of a policy"))
        bands = self.filtered("risk_auto_assign")
        if not bands:
            raise UserError(
                self.env._(
                    "Policy %(policy)s assigns nobody by risk: tick 'Assign by Risk' and set its band first.",
                    policy=", ".join(self.mapped("display_name")),
                )
            )
        # sudo: the assignment reads and writes every customer's company-dependent policy
        Partner = self.env["res.partner"].sudo()
        partners = Partner.search([("behaviour_date", "!=", False), ("parent_id", "=", False)])
        count = Partner._assign_risk_policies(partners.ids, bands.company_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Risk bands applied"),
                "message": self.env._("%(count)s customer policies changed.", count=count),
                "sticky": False,
            },
        }

    def _pre_due_lead_days(self):
        """How many days before the due date the earliest pre-due level of the policy runs."""
        self.ensure_one()
        return max([-level.delay_days for level in self.level_ids if level.delay_days < 0], default=0)

    @api.model
    def _get_company_default(self, company):
        return self.search([("company_id", "=", company.id), ("is_default", "=", True)], limit=1)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for policy, vals in zip(self, vals_list, strict=True):
            vals["name"] = self.env._("%s (copy)", policy.name)
            vals["is_default"] = False
        return vals_list
