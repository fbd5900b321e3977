"""Step: refresh the cases from the open receivables.

One SQL pass over the open receivable lines of a batch of customers gives, for each customer,
company and currency, what its case must show (and, apart, for the invoices that carry a policy of
their own: one case per such policy, which follows it); the step then opens the cases that qualify,
updates the amounts that changed, points the invoices at their case and closes the cases with
nothing left to collect (writes: ``refresh_write.py``).

Besides the run, the cases read one context key here, because Odoo's own compute machinery
calls back into them: ``collection_date`` (the run date, for the fields that depend on the day,
``days_overdue``, ``dunning_invoice_ids``). The mail keys (``tracking_disable``,
``mail_create_nolog``, ``mail_create_nosubscribe``) are Odoo's: the log, not the chatter, holds
what the refresh does.
"""

from datetime import timedelta

from odoo.tools import SQL, float_is_zero, split_every

from .refresh_write import RefreshWriteStep

# customers per SQL pass
REFRESH_BATCH = 5000


class RefreshStep(RefreshWriteStep):
    """Step: refresh the cases from the open receivables (create, update, close)."""

    # a mixin of the model: no instance dict, like the model (models.BaseModel.__slots__)
    __slots__ = ()

    def _refresh(self, run, partner_ids=None):
        """Refresh the cases of ``run.companies`` (of the customers ``partner_ids`` only, when
        given), batch by batch of customers.

        Runs as superuser: cases are derived from accounting data only, whoever posted or
        reconciled the entry that triggered the refresh.

        :return: ``{"created": n, "updated": n, "closed": n}``
        """
        # sudo: cases mirror the ledger; the caller's rights on cases do not matter here
        engine = self.sudo()
        engine.env.flush_all()
        if partner_ids is None:
            partner_ids = engine._partners_to_refresh(run.companies)
        totals = {"created": 0, "updated": 0, "closed": 0}
        # the company default policies, read once for every batch
        defaults = {
            policy.company_id.id: policy
            for policy in engine.env["collection.policy"].search([("is_default", "=", True)])
        }
        for batch in split_every(REFRESH_BATCH, sorted(set(partner_ids))):
            counts = engine._refresh_batch(run, list(batch), defaults)
            for key, count in counts.items():
                totals[key] += count
        return totals

    def _refresh_cases_model(self, run):
        """``collection.case`` as the refresh works on it (see the module docstring)."""
        return (
            self.env["collection.case"]
            .sudo()
            .with_context(
                collection_date=run.today,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
            )
        )

    def _partners_to_refresh(self, companies):
        """The customers with open receivables or an open case in ``companies``."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT p.commercial_partner_id
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE acc.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.reconciled IS NOT TRUE
                   AND aml.company_id = ANY(%(companies)s)
                 UNION
                SELECT partner_id FROM collection_case WHERE state = 'open' AND company_id = ANY(%(companies)s)
                """,
                companies=companies.ids,
            )
        )
        return [row[0] for row in rows]

    def _receivable_balances(self, companies, partner_ids, today):
        """One SQL pass over the open receivable lines of these customers.

        :return: list of dicts, one per (customer, company, currency, invoice policy): the lines of
            the invoices with a policy of their own (``account.move.collection_policy_id``) make their
            own row; every other line (payments and credit notes too) the customer's
        """
        query = SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   aml.company_id,
                   aml.currency_id,
                   m.collection_policy_id AS invoice_policy_id,
                   SUM(aml.amount_residual_currency) AS amount_due,
                   COALESCE(SUM(aml.amount_residual_currency)
                            FILTER (WHERE aml.amount_residual_currency < 0), 0) AS credits,
                   COALESCE(SUM(aml.amount_residual_currency)
                            FILTER (WHERE aml.amount_residual_currency > 0 AND dunnable
                                    AND aml.date_maturity < %(today)s), 0) AS overdue_gross,
                   MIN(aml.date_maturity)
                            FILTER (WHERE aml.amount_residual_currency > 0 AND dunnable) AS oldest_due_date,
                   COALESCE(SUM(aml.amount_residual_currency)
                            FILTER (WHERE aml.amount_residual_currency > 0 AND m.collection_hold IS NOT NULL
                                    AND aml.date_maturity < %(today)s), 0) AS overdue_held,
                   ARRAY_AGG(DISTINCT aml.move_id)
                            FILTER (WHERE aml.amount_residual_currency > 0) AS move_ids,
                   ARRAY_AGG(DISTINCT m.collection_case_id)
                            FILTER (WHERE aml.amount_residual_currency > 0) AS linked_case_ids
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
              JOIN account_move m ON m.id = aml.move_id,
                   LATERAL (SELECT NOT COALESCE(m.collection_blocked, FALSE) AND m.collection_hold IS NULL
                                   AND (c.collection_limitation_years IS NULL
                                        OR c.collection_limitation_years = 0
                                        OR aml.date_maturity >= %(today)s::date
                                           - make_interval(years => c.collection_limitation_years))
                              FROM res_company c WHERE c.id = aml.company_id) AS d(dunnable)
             WHERE acc.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND (aml.amount_residual_currency != 0 OR aml.amount_residual != 0)
               AND aml.company_id = ANY(%(companies)s)
               AND p.commercial_partner_id = ANY(%(partners)s)
             GROUP BY 1, 2, 3, 4
            """,
            today=today,
            companies=companies.ids,
            partners=partner_ids,
        )
        return self.env.execute_query_dict(query)

    def _open_case_rows(self, companies, partner_ids):
        """The open cases of these customers as plain rows: a refresh compares tens of thousands."""
        self.env.flush_all()
        return self.env.execute_query_dict(
            SQL(
                """
                SELECT c.id, c.partner_id, c.company_id, c.currency_id, c.invoice_policy_id,
                       c.amount_due, c.amount_overdue,
                       c.oldest_due_date, c.open_invoice_count, c.policy_id, l.delay_days AS level_delay,
                       c.next_level_id, c.next_action_date, c.paused_until, s.code AS stage_code
                  FROM collection_case c
                  LEFT JOIN collection_level l ON l.id = c.level_id
                  LEFT JOIN collection_stage s ON s.id = c.stage_id
                 WHERE c.state = 'open' AND c.company_id = ANY(%s) AND c.partner_id = ANY(%s)
                """,
                companies.ids,
                partner_ids,
            )
        )

    def _refresh_batch(self, run, partner_ids, default_policies):
        """Refresh the cases of one batch of customers: compare what the ledger says with the
        open cases, then open, update, link and close in a few statements."""
        Case = self._refresh_cases_model(run)
        today, companies = run.today, run.companies
        rows = self._receivable_balances(companies, partner_ids, today)
        cases_by_key = {self._case_key(row): row for row in self._open_case_rows(companies, partner_ids)}
        policies = self._policies_for(partner_ids, companies, default_policies)
        Policy = self.env["collection.policy"]
        currencies = self.env["res.currency"].browse({row["currency_id"] for row in rows})
        currencies.fetch(["rounding", "decimal_places"])

        to_create, updates, seen, move_links = [], {}, set(), []
        owing = {(row["partner_id"], row["company_id"], row["currency_id"]) for row in rows if row["amount_due"] > 0}
        for row in rows:
            currency = currencies.browse(row["currency_id"])
            amount_due = currency.round(row["amount_due"])
            overdue = currency.round(max(0.0, min(amount_due, row["overdue_gross"] + row["credits"])))
            if row["invoice_policy_id"]:  # invoices with a policy of their own: their case follows it
                policy = Policy.browse(row["invoice_policy_id"])
            else:
                policy = policies.get((row["partner_id"], row["company_id"]), Policy)
            # invoices on hold under a promise, plan or dispute keep their case open, undunned
            held = currency.round(min(amount_due, row["overdue_held"]))
            if not self._qualifies(amount_due, max(overdue, held), row["oldest_due_date"], policy, today, currency):
                continue
            key = self._case_key(row)
            seen.add(key)
            vals = {
                "amount_due": amount_due,
                "amount_overdue": overdue,
                "oldest_due_date": row["oldest_due_date"] or False,
                "open_invoice_count": len(row["move_ids"] or []),
                "policy_id": policy.id or False,
            }
            case = cases_by_key.get(key)
            if case:
                if any((case[field] if case[field] is not None else False) != value for field, value in vals.items()):
                    updates[case["id"]] = vals
                    case.update(vals)
                if row["linked_case_ids"] != [case["id"]]:  # else every open invoice already points at it
                    move_links.append((case["id"], row["move_ids"] or []))
            else:
                vals.update(
                    partner_id=row["partner_id"],
                    company_id=row["company_id"],
                    currency_id=row["currency_id"],
                    invoice_policy_id=row["invoice_policy_id"] or False,
                )
                to_create.append((vals, row["move_ids"] or []))

        created = self._create_cases(run, [vals for vals, _moves in to_create])
        move_links += [(case.id, moves) for case, (_vals, moves) in zip(created, to_create, strict=True)]
        self._write_amounts(run, updates)
        # next level and date of the cases that stay open (new cases got theirs when opened);
        # recomputed each time, so that policy changes and pauses show up here
        staying = [case for key, case in cases_by_key.items() if key in seen]
        levels = Case._policy_level_delays([case["policy_id"] for case in staying])
        next_actions = {}
        for case in staying:
            next_action = Case._next_action_for(
                levels.get(case["policy_id"], []),
                case["level_delay"],
                case["oldest_due_date"],
                case["paused_until"],
                stage_code=case["stage_code"],
            )
            if (case["next_level_id"] or False, case["next_action_date"] or False) != next_action:
                next_actions[case["id"]] = {"next_level_id": next_action[0], "next_action_date": next_action[1]}
        self._write_next_actions(run, next_actions)
        self._link_invoices(run, move_links)
        to_close = Case.browse([case["id"] for key, case in cases_by_key.items() if key not in seen])
        self._close_paid(run, to_close, owing)
        return {"created": len(created), "updated": len(updates), "closed": len(to_close)}

    @staticmethod
    def _case_key(row):
        """What makes one open case: customer, company, currency and invoice policy (none: the
        customer's case), of a balance row or an open case row."""
        return (row["partner_id"], row["company_id"], row["currency_id"], row["invoice_policy_id"] or False)

    def _qualifies(self, amount_due, overdue, oldest_due_date, policy, today, currency):
        """Whether a balance makes a case: something owed, overdue or within the policy's
        pre-due lead time."""
        if float_is_zero(amount_due, precision_rounding=currency.rounding) or amount_due < 0:
            return False
        if not float_is_zero(overdue, precision_rounding=currency.rounding):
            return True
        lead_days = policy._pre_due_lead_days() if policy else 0
        return bool(oldest_due_date and lead_days and oldest_due_date <= today + timedelta(days=lead_days))

    def _policies_for(self, partner_ids, companies, defaults):
        """Policy of each (customer, company): the customer's own, else the company default
        (``defaults``: {company id: policy})."""
        Policy = self.env["collection.policy"]
        partners = self.env["res.partner"].browse(partner_ids)
        result = {}
        for company in companies:
            # only the policy: reading it alone spares loading every other field of the partners
            partners.with_company(company).fetch(["collection_policy_id"])
            for partner in partners.with_company(company):
                policy = partner.collection_policy_id or defaults.get(company.id, Policy)
                if policy and policy.company_id == company:
                    result[(partner.id, company.id)] = policy
        return result
