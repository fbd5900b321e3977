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
        help="The daily run gives this policy to customers whose risk score is within the band (and who match "
        "the other criteria set in 'Assignment'), unless their policy was set by hand.",
    )
    statement_day = fields.Integer(
        string="Monthly Statement Day",
        help="Day of the month (1-28) on which the customers of the policy are emailed their statement "
        "(0: none); a customer's own day comes first.",
    )
    risk_score_min = fields.Integer(string="Risk Score From", default=0, help="Lowest risk score of the band (0-100).")
    risk_score_max = fields.Integer(string="Risk Score To", default=100, help="Highest risk score of the band (0-100).")
    # assignment rule: who the policy is for (see _assignment_match); every criterion set must match
    assign_sequence = fields.Integer(
        string="Rule Order",
        default=10,
        help="The daily run tries the assignment rules of the company in this order (lowest first) and gives a "
        "customer the policy of the first rule it matches. Among rules of the same order, the higher risk band "
        "goes first.",
    )
    assign_category_ids = fields.Many2many(
        "res.partner.category",
        "collection_policy_assign_category_rel",
        "policy_id",
        "category_id",
        string="Customer Tags",
        help="The rule matches customers carrying at least one of these tags. Empty: any tags.",
    )
    assign_country_ids = fields.Many2many(
        "res.country",
        "collection_policy_assign_country_rel",
        "policy_id",
        "country_id",
        string="Countries",
        help="The rule matches customers whose address is in one of these countries. Empty: any country.",
    )
    assign_customer_kind = fields.Selection(
        [("any", "Any"), ("consumer", "Consumers"), ("business", "Businesses")],
        string="Customer Kind",
        default="any",
        required=True,
        help="Consumers are individuals (not a company) and customers with one of the company's consumer tags "
        "(Settings > Collections); every other customer is a business.",
    )
    assign_overdue_min = fields.Monetary(
        string="Overdue From",
        currency_field="company_currency_id",
        help="The rule matches customers whose overdue amount (the total overdue of their open cases in the "
        "company, in the company currency) is at least this much. 0: no lower limit.",
    )
    assign_overdue_max = fields.Monetary(
        string="Overdue To",
        currency_field="company_currency_id",
        help="...and at most this much. 0: no upper limit.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    assign_rule = fields.Boolean(
        string="Assignment Rule",
        compute="_compute_assign_rule",
        store=True,
        help="The daily run gives this policy to the customers it matches: by risk band, tags, countries, "
        "customer kind or overdue amount.",
    )
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

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.depends(
        "risk_auto_assign",
        "assign_category_ids",
        "assign_country_ids",
        "assign_customer_kind",
        "assign_overdue_min",
        "assign_overdue_max",
    )
    def _compute_assign_rule(self):
        for policy in self:
            policy.assign_rule = bool(
                policy.risk_auto_assign
                or policy.assign_category_ids
                or policy.assign_country_ids
                or policy.assign_customer_kind not in (False, "any")
                or policy.assign_overdue_min
                or policy.assign_overdue_max
            )

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

    @api.constrains("assign_overdue_min", "assign_overdue_max")
    def _check_overdue_band(self):
        for policy in self:
            low, high = policy.assign_overdue_min, policy.assign_overdue_max
            if low < 0 or high < 0 or (high and low > high):
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the overdue amount band must satisfy 0 <= from <= to, or leave 'Overdue "
                        "To' at 0 for no upper limit (got %(min)s-%(max)s).",
                        policy=policy.display_name,
                        min=low,
                        max=high,
                    )
                )

    def _assignment_match(self, customer):
        """Whether this assignment rule matches the customer: every criterion set on the policy
        matches (risk band, tags, countries, customer kind, overdue amount band); a criterion left
        empty matches anyone.

        :param customer: the facts read once per run (``res.partner._assignment_facts``): a dict
            with ``risk_score``, ``category_ids`` (a set), ``country_id``, ``consumer`` (bool) and
            ``overdue`` (in the company currency)
        """
        self.ensure_one()
        if self.risk_auto_assign and not self.risk_score_min <= customer["risk_score"] <= self.risk_score_max:
            return False
        if self.assign_category_ids and not customer["category_ids"] & set(self.assign_category_ids.ids):
            return False
        if self.assign_country_ids and customer["country_id"] not in self.assign_country_ids.ids:
            return False
        if self.assign_customer_kind == "consumer" and not customer["consumer"]:
            return False
        if self.assign_customer_kind == "business" and customer["consumer"]:
            return False
        if self.assign_overdue_min and customer["overdue"] < self.assign_overdue_min:
            return False
        return not (self.assign_overdue_max and customer["overdue"] > self.assign_overdue_max)

    def _assignment_reason(self, customer):
        """What made this rule match the customer, for the log: "risk score 72 (band 60-100), tag
        VIP, Belgium, business, overdue 1,200.00 (band 1,000.00-5,000.00)"."""
        self.ensure_one()
        currency = self.company_id.currency_id
        parts = []
        if self.risk_auto_assign:
            parts.append(
                self.env._(
                    "risk score %(score)s (band %(min)s-%(max)s)",
                    score=customer["risk_score"],
                    min=self.risk_score_min,
                    max=self.risk_score_max,
                )
            )
        if self.assign_category_ids:
            tags = self.assign_category_ids.filtered(lambda t: t.id in customer["category_ids"])
            parts.append(self.env._("tag %(tags)s", tags=", ".join(tags.mapped("name"))))
        if self.assign_country_ids:
            parts.append(self.env["res.country"].browse(customer["country_id"]).name)
        if self.assign_customer_kind == "consumer":
            parts.append(self.env._("consumer"))
        elif self.assign_customer_kind == "business":
            parts.append(self.env._("business"))
        if self.assign_overdue_min or self.assign_overdue_max:
            parts.append(
                self.env._(
                    "overdue %(amount)s (band %(min)s-%(max)s)",
                    amount=currency.format(customer["overdue"]),
                    min=currency.format(self.assign_overdue_min),
                    max=currency.format(self.assign_overdue_max) if self.assign_overdue_max else self.env._("no limit"),
                )
            )
        return ", ".join(parts)

    def action_apply_assignment_rules(self):
        """Apply the assignment rules (risk bands and segments) of these policies' companies to
        every customer whose payment behaviour is known, now (the daily run does it for the
        customers with an open case or a change in their payment behaviour)."""
        check_group(self.env, GROUP_MANAGER, self.env._("apply the assignment rules of a policy"))
        rules = self.filtered("assign_rule")
        if not rules:
            raise UserError(
                self.env._(
                    "Policy %(policy)s assigns nobody: set a risk band or another criterion in its "
                    "'Assignment' section first.",
                    policy=", ".join(self.mapped("display_name")),
                )
            )
        # sudo: the assignment reads and writes every customer's company-dependent policy
        Partner = self.env["res.partner"].sudo()
        partners = Partner.search([("behaviour_date", "!=", False), ("parent_id", "=", False)])
        count = Partner._assign_collection_policies(partners.ids, rules.company_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Assignment rules applied"),
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
