from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..tools import GROUP_USER, check_group, collection_today
from .bulk_sql import bulk_update

# Risk score weights (points out of 100) and the value at which each term is full.
RISK_LATE_POINTS = 40  # average days late of paid invoices...
RISK_LATE_FULL_DAYS = 60  # ...full at 60 days late on average
RISK_ONTIME_POINTS = 30  # share of paid invoices NOT paid by their due date
RISK_BROKEN_POINTS = 20  # broken promises to pay...
RISK_BROKEN_FULL = 3  # ...full at 3 broken promises
RISK_OVERDUE_POINTS = 10  # days the oldest open invoice is overdue now...
RISK_OVERDUE_FULL_DAYS = 90  # ...full at 90 days

# customer invoices whose payment history is measured
PAID_MOVE_TYPES = ("out_invoice", "out_receipt")


class ResPartner(models.Model):
    """Payment behaviour of customers, from their paid invoice history, and the risk score."""

    _inherit = "res.partner"

    # recompute this many customers per SQL pass
    _BEHAVIOUR_BATCH = 5000

    paid_invoice_count = fields.Integer(
        string="Paid Invoices", readonly=True, help="Paid customer invoices the payment behaviour is measured on."
    )
    broken_promise_count = fields.Integer(
        string="Broken Promises", readonly=True, help="Promises to pay this customer broke."
    )
    behaviour_date = fields.Datetime(
        string="Behaviour Computed On",
        readonly=True,
        copy=False,
        help="When the payment behaviour was last computed. The daily collections run recomputes it "
        "for customers with a payment, reconciliation or broken promise since then.",
    )
    collection_policy_manual = fields.Boolean(
        string="Policy Set by Hand",
        company_dependent=True,
        copy=False,
        help="The collection policy was chosen by hand: the policies' assignment rules (risk bands, segments) "
        "leave it alone. Untick (or clear the policy) to let the rules choose it again.",
    )

    # ------------------------------------------------------------------ manual policy
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("collection_policy_auto"):
            for vals in vals_list:
                if vals.get("collection_policy_id") and "collection_policy_manual" not in vals:
                    vals["collection_policy_manual"] = True
        return super().create(vals_list)

    def write(self, vals):
        if (
            "collection_policy_id" in vals
            and "collection_policy_manual" not in vals
            and not self.env.context.get("collection_policy_auto")
        ):
            # a policy chosen by hand wins over the assignment rules; clearing it hands it back to them
            vals = dict(vals, collection_policy_manual=bool(vals["collection_policy_id"]))
        return super().write(vals)

    # ------------------------------------------------------------------ risk score
    @api.model
    def _risk_score_from(self, avg_days_late, on_time_ratio, paid_count, broken_promises, overdue_days):
        """Transparent payment risk, 0 (pays on time) to 100 (rarely pays)::

            40 x min(average days late / 60, 1)          -- only with paid invoices
            + 30 x (1 - on-time ratio)                     -- only with paid invoices
            + 20 x min(broken promises / 3, 1)
            + 10 x min(days the oldest open invoice is overdue / 90, 1)

        rounded to the nearest integer. A customer without paid invoices is judged on broken
        promises and current overdue only.
        """
        score = 0.0
        if paid_count:
            score += RISK_LATE_POINTS * min(max(avg_days_late, 0.0) / RISK_LATE_FULL_DAYS, 1.0)
            score += RISK_ONTIME_POINTS * (1.0 - min(max(on_time_ratio, 0.0), 1.0))
        score += RISK_BROKEN_POINTS * min(broken_promises / RISK_BROKEN_FULL, 1.0)
        score += RISK_OVERDUE_POINTS * min(max(overdue_days, 0) / RISK_OVERDUE_FULL_DAYS, 1.0)
        return max(0, min(100, int(score + 0.5)))

    # ------------------------------------------------------------------ daily recompute
    @api.model
    def _recompute_collection_behaviour(self, companies, today):
        """Daily run: payment behaviour of the customers that changed, their risk score and
        their automatic policy.

        :return: ``{"behaviour": n, "risk": n, "policy": n}`` (customers recomputed, risk scores
            changed, policies assigned)
        """
        self.env.flush_all()
        changed_ids = self._behaviour_changed_partner_ids(companies)
        for batch in split_every(self._BEHAVIOUR_BATCH, changed_ids):
            self._compute_payment_behaviour(list(batch))
        candidate_ids = set(changed_ids) | set(self._partner_ids_with_open_case(companies))
        risk_changed = self._update_risk_scores(sorted(candidate_ids), today)
        # the rules look at more than the risk (tags, country, overdue amount): every candidate
        assigned = self._assign_collection_policies(sorted(candidate_ids), companies, today)
        return {"behaviour": len(changed_ids), "risk": len(risk_changed), "policy": assigned}

    @api.model
    def _behaviour_changed_partner_ids(self, companies):
        """Customers never computed, or with a receivable line of a customer invoice written
        (paid, reconciled, unreconciled, posted...) or a promise broken since their last computation."""
        self.env["account.move.line"].flush_model(["display_type", "move_id", "company_id", "write_date"])
        self.env["account.move"].flush_model(["commercial_partner_id", "move_type"])
        self.env["collection.promise"].flush_model(["partner_id", "state", "company_id", "write_date"])
        self.flush_model(["behaviour_date"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.commercial_partner_id
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = m.commercial_partner_id
                 WHERE aml.display_type = 'payment_term'
                   AND m.move_type IN %(types)s
                   AND aml.company_id = ANY(%(companies)s)
                   AND (p.behaviour_date IS NULL OR aml.write_date >= p.behaviour_date)
                 UNION
                SELECT pr.partner_id
                  FROM collection_promise pr
                  JOIN res_partner p ON p.id = pr.partner_id
                 WHERE pr.state = 'broken'
                   AND pr.company_id = ANY(%(companies)s)
                   AND (p.behaviour_date IS NULL OR pr.write_date >= p.behaviour_date)
                """,
                types=PAID_MOVE_TYPES,
                companies=companies.ids,
            )
        )
        return sorted(row[0] for row in rows if row[0])

    @api.model
    def _partner_ids_with_open_case(self, companies):
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT partner_id FROM collection_case WHERE state = 'open' AND company_id = ANY(%s)",
                companies.ids,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _payment_behaviour_stats(self, partner_ids):
        """One SQL pass over the fully paid customer invoices of these customers (all companies).

        An invoice is paid on the date of its last reconciliation (``max_date`` of the partial
        reconciliations of its receivable lines); it is late by that date minus its due date,
        never less than 0, and on time when paid by its due date.

        :return: {partner id: (paid count, average days late, on-time ratio, broken promises)}
        """
        rows = self.env.execute_query(
            SQL(
                """
                WITH paid AS (
                    SELECT m.commercial_partner_id AS partner_id,
                           m.invoice_date_due AS due_date,
                           MAX(apr.max_date) AS paid_date
                      FROM account_move m
                      JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                     WHERE m.move_type IN %(types)s
                       AND m.state = 'posted'
                       AND m.payment_state IN ('paid', 'in_payment')
                       AND m.commercial_partner_id = ANY(%(partners)s)
                     GROUP BY m.id
                ), stats AS (
                    SELECT partner_id,
                           COUNT(*) AS paid_count,
                           AVG(GREATEST(paid_date - due_date, 0)) AS avg_days_late,
                           COUNT(*) FILTER (WHERE paid_date <= due_date)::float / COUNT(*) AS on_time_ratio
                      FROM paid
                     GROUP BY partner_id
                ), broken AS (
                    SELECT partner_id, COUNT(*) AS broken_count
                      FROM collection_promise
                     WHERE state = 'broken' AND partner_id = ANY(%(partners)s)
                     GROUP BY partner_id
                )
                SELECT p.id, COALESCE(s.paid_count, 0), COALESCE(s.avg_days_late, 0),
                       COALESCE(s.on_time_ratio, 0), COALESCE(b.broken_count, 0)
                  FROM unnest(%(partners)s::int[]) AS p(id)
                  LEFT JOIN stats s ON s.partner_id = p.id
                  LEFT JOIN broken b ON b.partner_id = p.id
                """,
                types=PAID_MOVE_TYPES,
                partners=partner_ids,
            )
        )
        return {row[0]: (row[1], float(row[2]), float(row[3]), row[4]) for row in rows}

    @api.model
    def _compute_payment_behaviour(self, partner_ids):
        """Recompute and write (one UPDATE) the payment behaviour of these customers."""
        if not partner_ids:
            return
        stats = self._payment_behaviour_stats(partner_ids)
        now = self.env.cr.now()
        # the write layer, not write() grouped by values: on the bench (4,000 customers computed for
        # the first time, 2 cores, load 3) write() took 1.6-1.8 s and 415 queries for the settle
        # step against 1.0-1.1 s and 30 queries here
        bulk_update(
            self,
            {
                partner_id: {
                    "paid_invoice_count": paid_count,
                    "avg_days_late": round(avg_late, 1),
                    "on_time_ratio": round(on_time, 2),
                    "broken_promise_count": broken,
                    "behaviour_date": now,
                }
                for partner_id, (paid_count, avg_late, on_time, broken) in stats.items()
            },
        )

    @api.model
    def _update_risk_scores(self, partner_ids, today):
        """Risk score of these customers from their stored behaviour and their open cases;
        writes (one UPDATE) only the scores that change.

        :return: ids of the customers whose score changed
        """
        changed = []
        for batch in split_every(self._BEHAVIOUR_BATCH, partner_ids):
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT p.id, p.avg_days_late, p.on_time_ratio, p.paid_invoice_count,
                           p.broken_promise_count, p.risk_score,
                           COALESCE(MAX(%(today)s::date - c.oldest_due_date)
                                    FILTER (WHERE c.oldest_due_date < %(today)s::date), 0)
                      FROM res_partner p
                      LEFT JOIN collection_case c ON c.partner_id = p.id AND c.state = 'open'
                     WHERE p.id = ANY(%(partners)s)
                     GROUP BY p.id
                    """,
                    today=today,
                    partners=list(batch),
                )
            )
            scores = {}
            for partner_id, avg_late, on_time, paid_count, broken, current, overdue_days in rows:
                score = self._risk_score_from(
                    float(avg_late or 0.0), float(on_time or 0.0), paid_count or 0, broken or 0, overdue_days
                )
                if score != (current or 0):
                    scores[partner_id] = score
            if not scores:
                continue
            # the write layer, not write() grouped by score: on the bench (4,000 customers) write()
            # took 1.6-1.8 s and 363 queries for the settle step against 1.0-1.1 s and 30 queries
            # here. The cases' risk and priority follow (modified(), recomputed by the ORM); the
            # customers' cases, which modified() looks up, read in one query (else one per 1,000)
            self.browse(list(scores)).fetch(["collection_case_ids"])
            bulk_update(self, {partner_id: {"risk_score": score} for partner_id, score in scores.items()})
            changed += list(scores)
        return changed

    # ------------------------------------------------------------------ automatic policy
    @api.model
    def _assign_collection_policies(self, partner_ids, companies, today=None):
        """Give each customer the policy of the first assignment rule it matches, per company
        where it has invoices.

        The rules are the policies of the company with a risk band or a segment criterion
        (``collection.policy.assign_rule``), tried in ``assign_sequence`` order (then the higher
        risk band first); a rule matches when all its criteria do (``_assignment_match``). A
        customer matching none goes back to the company default. A customer keeps its policy
        when it was set by hand (``collection_policy_manual``) or when its current policy is not
        an assignment rule (chosen some other way). Each change is logged on the customer and on
        its open cases, and the cases take the new policy (not the cases of invoices with a
        policy of their own: they follow that one).

        One query per company reads what the rules look at (``_assignment_facts``); the writes,
        the log and the refresh go per new policy.

        :param today: the run date (default: today)
        :return: number of (customer, company) assignments changed
        """
        if not partner_ids:
            return 0
        today = today or collection_today(self)
        Policy = self.env["collection.policy"]
        rules = Policy.search(
            [("assign_rule", "=", True), ("company_id", "in", companies.ids)],
            order="assign_sequence, risk_score_min desc, sequence, id",
        )
        changes = 0
        for company in rules.company_id:
            company_rules = rules.filtered(lambda p, c=company: p.company_id == c)
            facts = self._assignment_facts(partner_ids, company, today)
            moves = defaultdict(dict)  # {new policy: {customer id: why}}
            for partner_id, customer in facts.items():
                current = Policy.browse(customer["policy_id"] or [])
                if customer["manual"] or (current and not current.assign_rule):
                    continue
                rule = next((r for r in company_rules if r._assignment_match(customer)), Policy)
                if rule != current:
                    moves[rule][partner_id] = rule._assignment_reason(customer) if rule else False
            for policy, reasons in moves.items():
                self.browse(list(reasons))._apply_assigned_policy(policy, company, today, reasons, facts)
                changes += len(reasons)
        return changes

    @api.model
    def _assignment_facts(self, partner_ids, company, today):
        """What the assignment rules look at, for those of these customers that have posted
        customer invoices in the company, in one query: their policy there and whether it was set
        by hand, risk score, country, tags, whether they are consumers (``engine/consumers.py``)
        and their overdue amount (the open cases' in the company, in the company currency).

        :return: {customer id: {"policy_id", "manual", "risk_score", "country_id", "category_ids",
            "consumer", "overdue"}}
        """
        self.flush_model(
            [
                "collection_policy_id",
                "collection_policy_manual",
                "risk_score",
                "country_id",
                "is_company",
                "category_id",
            ]
        )
        self.env["collection.case"].flush_model(["partner_id", "company_id", "currency_id", "state", "amount_overdue"])
        self.env["account.move"].flush_model(["commercial_partner_id", "company_id", "move_type", "state"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id,
                       (p.collection_policy_id ->> %(key)s)::int,
                       COALESCE((p.collection_policy_manual ->> %(key)s)::boolean, FALSE),
                       COALESCE(p.risk_score, 0),
                       p.country_id,
                       COALESCE(p.is_company, FALSE),
                       ARRAY(SELECT r.category_id FROM res_partner_res_partner_category_rel r
                              WHERE r.partner_id = p.id),
                       (SELECT json_object_agg(o.currency_id, o.overdue)
                          FROM (SELECT c.currency_id, SUM(c.amount_overdue) AS overdue
                                  FROM collection_case c
                                 WHERE c.partner_id = p.id AND c.company_id = %(company)s AND c.state = 'open'
                                 GROUP BY c.currency_id) o)
                  FROM res_partner p
                 WHERE p.id = ANY(%(partners)s)
                   AND EXISTS (SELECT 1 FROM account_move m
                                WHERE m.commercial_partner_id = p.id AND m.company_id = %(company)s
                                  AND m.move_type IN %(types)s AND m.state = 'posted')
                """,
                key=str(company.id),
                company=company.id,
                partners=list(partner_ids),
                types=PAID_MOVE_TYPES,
            )
        )
        Currency = self.env["res.currency"]
        company_currency = company.currency_id
        consumer_tags = set(company.collection_consumer_category_ids.ids)
        rates = {company_currency.id: 1.0}
        facts = {}
        for partner_id, policy_id, manual, score, country_id, is_company, category_ids, overdue_by_currency in rows:
            overdue = 0.0
            for currency_key, amount in (overdue_by_currency or {}).items():
                currency_id = int(currency_key)
                if currency_id not in rates:
                    rates[currency_id] = Currency._get_conversion_rate(
                        Currency.browse(currency_id), company_currency, company, today
                    )
                overdue += float(amount or 0.0) * rates[currency_id]
            categories = set(category_ids or [])
            facts[partner_id] = {
                "policy_id": policy_id,
                "manual": manual,
                "risk_score": score,
                "country_id": country_id,
                "category_ids": categories,
                "consumer": not is_company or bool(categories & consumer_tags),
                "overdue": company_currency.round(overdue),
            }
        return facts

    def _apply_assigned_policy(self, policy, company, today, reasons, facts):
        """Write the policy the assignment rules give these customers in the company, log it on
        them and on their open cases, update the cases.

        :param reasons: {customer id: what made the rule match (``_assignment_reason``)}
        :param facts: {customer id: what the rules looked at (``_assignment_facts``)}
        """
        self.with_company(company).with_context(collection_policy_auto=True).write(
            {"collection_policy_id": policy.id or False}
        )
        bodies = {}
        for partner in self:
            if policy:
                bodies[partner.id] = self.env._(
                    "Collection policy for %(company)s set to %(policy)s by its assignment rule: %(reason)s.",
                    company=company.name,
                    policy=policy.name,
                    reason=reasons[partner.id],
                )
            else:
                bodies[partner.id] = self.env._(
                    "Collection policy for %(company)s back to the company default: the customer matches no "
                    "assignment rule (risk score %(score)s).",
                    company=company.name,
                    score=facts[partner.id]["risk_score"],
                )
        self._message_log_batch(bodies)
        Case = self.env["collection.case"].sudo()
        cases = Case.search(
            [
                ("partner_id", "in", self.ids),
                ("company_id", "=", company.id),
                ("state", "=", "open"),
                ("invoice_policy_id", "=", False),  # the cases of invoices with their own policy follow it
            ]
        )
        self.env["collection.event"].sudo().create([case._event_vals(bodies[case.partner_id.id]) for case in cases])
        # sudo: cases follow the customer's policy whoever triggered the change
        Engine = self.env["collection.engine"].sudo()
        Engine._refresh(Engine._new_run(today, company), partner_ids=self.ids)

    def action_recompute_payment_behaviour(self):
        """Partner form button: recompute the behaviour and risk of these customers now."""
        check_group(self.env, GROUP_USER, self.env._("recompute the payment behaviour of a customer"))
        partners = self.commercial_partner_id
        today = fields.Date.context_today(self)
        # sudo: behaviour is derived from accounting data only
        Partner = self.env["res.partner"].sudo()
        Partner._compute_payment_behaviour(partners.ids)
        Partner._update_risk_scores(partners.ids, today)
        # the policies of the user's companies only: behaviour and risk span them all, a policy is per company
        Partner._assign_collection_policies(partners.ids, self.env.companies, today)
        return True
