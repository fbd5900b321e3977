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
    risk_score_min = fields.Integer(string="Risk Score From", default=0, help="Lowest risk score of the band (0-100).")
    risk_score_max = fields.Integer(string="Risk Score To", default=100, help="Highest risk score of the band (0-100).")
    # payment plans the customers propose on the portal: within these limits they start at once
    allow_portal_plans = fields.Boolean(
        string="Payment Plans on the Portal",
        help="Customers of this policy may propose a payment plan for their overdue invoices on the portal. "
        "A plan within the limits below starts at once; any other waits for a collector's approval.",
    )
    portal_plan_max_installments = fields.Integer(
        string="Maximum Installments", default=6, help="Installments a plan approved without a collector may have."
    )
    portal_plan_max_days = fields.Integer(
        string="Maximum Duration (Days)",
        default=180,
        help="Days from today to the last installment of a plan approved without a collector.",
    )
    portal_plan_min_installment = fields.Monetary(
        string="Minimum Installment",
        currency_field="company_currency_id",
        help="Smallest installment of a plan approved without a collector, in the company currency (0: any).",
    )
    portal_plan_min_down_payment_pct = fields.Float(
        string="Minimum Down Payment (%)",
        digits=(5, 2),
        help="Down payment, in % of the plan's total, a plan approved without a collector must start with (0: none).",
    )
    portal_plan_max_risk_score = fields.Integer(
        string="Up to Risk Score",
        default=100,
        help="Customers whose risk score is above this (0-100) always wait for a collector's approval.",
    )
    portal_plan_max_broken = fields.Integer(
        string="Broken Plans Allowed",
        default=0,
        help="Customers with more broken payment plans than this always wait for a collector's approval.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")

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

    @api.constrains(
        "portal_plan_max_installments",
        "portal_plan_max_days",
        "portal_plan_min_installment",
        "portal_plan_min_down_payment_pct",
        "portal_plan_max_risk_score",
        "portal_plan_max_broken",
    )
    def _check_portal_plan_limits(self):
        for policy in self:
            name = policy.display_name
            if policy.portal_plan_max_installments < 1:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: a payment plan proposed on the portal needs at least one installment: "
                        "set the maximum installments to 1 or more.",
                        policy=name,
                    )
                )
            if policy.portal_plan_max_days < 1:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the maximum duration of a portal payment plan must be at least one day.",
                        policy=name,
                    )
                )
            if policy.portal_plan_min_installment < 0 or policy.portal_plan_max_broken < 0:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the minimum installment and the broken plans allowed cannot be negative.",
                        policy=name,
                    )
                )
            if not 0 <= policy.portal_plan_min_down_payment_pct < 100:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the minimum down payment must be from 0 %% to less than 100 %% "
                        "(got %(pct)s).",
                        policy=name,
                        pct=policy.portal_plan_min_down_payment_pct,
                    )
                )
            if not 0 <= policy.portal_plan_max_risk_score <= 100:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the highest risk score for portal payment plans must be from 0 to 100 "
                        "(got %(score)s).",
                        policy=name,
                        score=policy.portal_plan_max_risk_score,
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
