import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_is_zero, split_every

from ..tools import (
    GROUP_MANAGER,
    GROUP_USER,
    check_companies,
    check_date,
    check_group,
    collection_today,
)
from .bulk_sql import bulk_insert, bulk_update

_logger = logging.getLogger(__name__)

CLOSED_STAGE_CODES = ("paid", "written_off")
# cases handed over to an agency or a lawyer: they work the debt, we neither dun nor contact the
# customer, and no agreement moves the case (only the handover, the recall and the closing do)
HANDED_OVER_STAGE_CODES = ("agency", "legal")
# stages where internal dunning stops: no next level for the cases there
STOPPED_STAGE_CODES = HANDED_OVER_STAGE_CODES + CLOSED_STAGE_CODES
# stages cases enter and leave only through their wizards and the engine, never by hand
WORKFLOW_STAGE_CODES = STOPPED_STAGE_CODES


class CollectionCase(models.Model):
    """One open case per commercial partner, company and currency with receivables to collect."""

    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "state, amount_overdue desc, oldest_due_date, id"
    _check_company_auto = True

    # derived from the ledger and the levels by the engine, or set by the legal handover
    _workflow_fields = {
        "state": ("refresh_cases", "run_collections"),
        "closed_date": ("refresh_cases", "run_collections"),
        "amount_due": ("refresh_cases", "run_collections"),
        "amount_overdue": ("refresh_cases", "run_collections"),
        "oldest_due_date": ("refresh_cases", "run_collections"),
        "open_invoice_count": ("refresh_cases", "run_collections"),
        "policy_id": ("refresh_cases", "run_collections"),
        "level_id": ("run_collections", "action_send_next_reminder"),
        "next_level_id": ("run_collections", "action_send_next_reminder"),
        "next_action_date": ("run_collections", "action_send_next_reminder"),
        "last_action_date": ("run_collections", "action_send_next_reminder"),
        "legal_partner_id": ("action_legal_handover",),
        "legal_date": ("action_legal_handover",),
        "legal_note": ("action_legal_handover",),
        "legal_file_id": ("action_legal_handover",),
    }

    # refresh_cases works on this many customers per SQL pass (and per commit in the cron)
    _REFRESH_BATCH = 5000

    name = fields.Char(string="Reference", readonly=True, copy=False, index="trigram")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, tracking=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")], default="open", required=True, readonly=True, index=True
    )
    stage_id = fields.Many2one(
        "collection.stage",
        string="Stage",
        tracking=True,
        index=True,
        group_expand="_read_group_stage_ids",
        default=lambda self: self.env["collection.stage"]._get_by_code("new"),
    )
    stage_code = fields.Selection(related="stage_id.code")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        tracking=True,
        index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    policy_id = fields.Many2one("collection.policy", readonly=True, index=True, check_company=True)
    level_id = fields.Many2one(
        "collection.level", string="Current Level", readonly=True, tracking=True, help="Last level executed."
    )
    next_level_id = fields.Many2one("collection.level", string="Next Level", readonly=True)
    invoice_ids = fields.One2many("account.move", "collection_case_id", string="Invoices", readonly=True)
    open_invoice_ids = fields.Many2many(
        "account.move", string="Open Invoices", compute="_compute_open_invoice_ids", help="Invoices still to be paid."
    )
    dunning_invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices Dunned",
        compute="_compute_open_invoice_ids",
        help="Open invoices the reminders are about: not excluded from dunning, not time-barred.",
    )
    open_invoice_count = fields.Integer(readonly=True)
    amount_due = fields.Monetary(readonly=True, help="Balance of all open receivables, credits deducted.")
    amount_overdue = fields.Monetary(readonly=True, help="Part of the balance that is past due, credits deducted.")
    oldest_due_date = fields.Date(
        readonly=True, index=True, help="Due date of the oldest open invoice that can be dunned."
    )
    days_overdue = fields.Integer(compute="_compute_days_overdue")
    next_action_date = fields.Date(readonly=True, index=True, help="When the next level becomes due.")
    last_action_date = fields.Date(readonly=True)
    paused_until = fields.Date(tracking=True, help="No automatic dunning before this date.")
    risk_score = fields.Integer(related="partner_id.risk_score", string="Risk", store=True)
    closed_date = fields.Date(readonly=True)
    event_ids = fields.One2many("collection.event", "case_id", string="Log", readonly=True)
    event_count = fields.Integer(compute="_compute_event_count")
    color = fields.Integer()

    _sql_constraints = [
        (
            "amounts_positive",
            "CHECK(amount_due >= 0 AND amount_overdue >= 0)",
            "The amounts of a collection case cannot be negative.",
        ),
    ]

    def init(self):
        # one open case per customer, company and currency
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS collection_case_open_uniq
                ON collection_case (partner_id, company_id, currency_id) WHERE state = 'open'
            """
        )

    # ------------------------------------------------------------------ computes
    @api.depends("oldest_due_date", "state")
    @api.depends_context("collection_date")
    def _compute_days_overdue(self):
        today = self._collection_today()
        for case in self:
            due = case.oldest_due_date
            case.days_overdue = (today - due).days if due and case.state == "open" else 0

    @api.depends(
        "invoice_ids.payment_state",
        "invoice_ids.state",
        "invoice_ids.collection_blocked",
        "invoice_ids.collection_hold",
    )
    @api.depends_context("collection_date")
    def _compute_open_invoice_ids(self):
        """One query for all the cases: the engine reads these for thousands of cases per batch."""
        saved = self.filtered(lambda c: isinstance(c.id, int))
        for case in self - saved:  # a case being created in a form: from the cache
            open_invoices = case.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.payment_state not in ("paid", "in_payment", "reversed")
            ).sorted(lambda m: (m.invoice_date_due or m.date, m.id))
            case.open_invoice_ids = open_invoices
            case.dunning_invoice_ids = open_invoices.filtered(
                lambda m: not m.collection_blocked and not m.collection_hold and not m.time_barred
            )
        if not saved:
            return
        Move = self.env["account.move"]
        Move.flush_model(
            ["collection_case_id", "state", "payment_state", "collection_blocked", "collection_hold"]
            + ["invoice_date_due", "date", "company_id"]
        )
        self.env["res.company"].flush_model(["collection_limitation_years"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.collection_case_id, m.id,
                       NOT COALESCE(m.collection_blocked, FALSE) AND m.collection_hold IS NULL
                       AND NOT (COALESCE(c.collection_limitation_years, 0) > 0
                                AND m.invoice_date_due IS NOT NULL
                                AND m.invoice_date_due
                                    < %s::date - make_interval(years => c.collection_limitation_years))
                  FROM account_move m
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.collection_case_id = ANY(%s) AND m.state = 'posted'
                   AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed')
                 ORDER BY COALESCE(m.invoice_date_due, m.date), m.id
                """,
                self._collection_today(),
                saved.ids,
            )
        )
        open_ids, dunned_ids = defaultdict(list), defaultdict(list)
        for case_id, move_id, dunned in rows:
            open_ids[case_id].append(move_id)
            if dunned:
                dunned_ids[case_id].append(move_id)
        # straight into the cache (what the assignment ends in, without its per-record work)
        self.env.cache.update(
            saved, self._fields["open_invoice_ids"], [tuple(open_ids[case_id]) for case_id in saved.ids]
        )
        self.env.cache.update(
            saved, self._fields["dunning_invoice_ids"], [tuple(dunned_ids[case_id]) for case_id in saved.ids]
        )

    def _compute_event_count(self):
        counts = dict(self.env["collection.event"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"]))
        for case in self:
            case.event_count = counts.get(case, 0)

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for case in self:
            case.display_name = " - ".join(filter(None, [case.name, case.partner_id.display_name]))

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])  # pylint: disable=no-search-all  # a handful of pipeline columns

    def _collection_today(self):
        return collection_today(self)

    # ------------------------------------------------------------------ user actions
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                stage_id = vals.get("stage_id", self.env.context.get("default_stage_id"))
                if stage_id:
                    self.browse()._check_stage_move(self.env["collection.stage"].browse(stage_id))
        return super().create(vals_list)

    def write(self, vals):
        events = []
        # a user's move (the kanban, the status bar); the suite's moves go through _move_to_stage
        if "stage_id" in vals and not self.env.su:
            stage = self.env["collection.stage"].browse(vals["stage_id"])
            moving = self.filtered(lambda c: c.stage_id != stage)
            moving._check_stage_move(stage)
            events += [
                case._event_vals(
                    self.env._("Stage moved from %(old)s to %(new)s", old=case.stage_id.name, new=stage.name)
                )
                for case in self.filtered(lambda c: c.stage_id != stage)
            ]
        if "user_id" in vals:
            user = self.env["res.users"].browse(vals["user_id"])
            events += [
                case._event_vals(
                    self.env._("Assigned to %s", user.name)
                    if user
                    else self.env._("Collector %s unassigned", case.user_id.name)
                )
                for case in self.filtered(lambda c: c.user_id != user)
            ]
        if events:
            self.env["collection.event"].sudo()._log(events)
        return super().write(vals)

    def _check_stage_move(self, stage):
        """Refuse a user's move of the cases into or out of a stage that only a wizard or the
        engine moves cases into or out of (At Agency, Legal, Paid, Written Off)."""
        enter = {
            "agency": self.env._("the Hand Over to Agency wizard"),
            "legal": self.env._("the Legal Handover wizard"),
            "paid": self.env._("the collections run, once the invoices are paid"),
            "written_off": self.env._("the Write Off wizard"),
        }
        leave = {
            "agency": self.env._("Recall on its placement"),
            "legal": self.env._("Recall on its placement"),
            "paid": self.env._("the collections run, when the customer owes again"),
            "written_off": self.env._("Reverse on its write-off"),
        }
        if stage.code in WORKFLOW_STAGE_CODES:
            raise UserError(
                self.env._(
                    "Cases cannot be moved to %(stage)s by hand (%(cases)s): they get there through %(how)s.",
                    stage=stage.name,
                    cases=", ".join(self.mapped("display_name")) or self.env._("new case"),
                    how=enter[stage.code],
                )
            )
        leaving = self.filtered(lambda c: c.stage_id.code in WORKFLOW_STAGE_CODES)
        if leaving:
            case = leaving[0]
            raise UserError(
                self.env._(
                    "Case %(case)s cannot be moved out of %(old)s to %(stage)s by hand: it leaves %(old)s "
                    "through %(how)s.",
                    case=case.display_name,
                    old=case.stage_id.name,
                    stage=stage.name,
                    how=leave[case.stage_id.code],
                )
            )

    def action_pause(self, until):
        """Pause automatic dunning of the cases until the given date (ISO string or date)."""
        check_group(self.env, GROUP_USER, self.env._("pause the dunning of a case"))
        until_date = check_date(self.env, until, self.env._("Pause until"))
        if not until_date or until_date <= self._collection_today():
            raise UserError(
                self.env._(
                    "Cannot pause %(cases)s: give a date after today (YYYY-MM-DD) to pause until.",
                    cases=", ".join(self.mapped("display_name")),
                )
            )
        self.write({"paused_until": until_date})
        self.env["collection.event"].sudo().create(
            [case._event_vals(self.env._("Dunning paused until %s", until_date)) for case in self]
        )
        return True

    def action_resume(self):
        check_group(self.env, GROUP_USER, self.env._("resume the dunning of a case"))
        paused = self.filtered("paused_until")
        paused.write({"paused_until": False})
        self.env["collection.event"].sudo().create([case._event_vals(self.env._("Dunning resumed")) for case in paused])
        return True

    def action_view_invoices(self):
        check_group(self.env, GROUP_USER, self.env._("view the invoices of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(
            domain=[("collection_case_id", "=", self.id)],
            context={"default_move_type": "out_invoice", "create": False},
        )
        return action

    def action_print_statement(self):
        """Customer statement of the case's customer (open items, aging, recent payments)."""
        check_group(self.env, GROUP_USER, self.env._("print a customer statement"))
        return self.env.ref("account_collections.action_report_customer_statement").report_action(self.partner_id)

    def action_send_statement(self):
        """Open the email composer with the customer statement attached."""
        check_group(self.env, GROUP_USER, self.env._("send a customer statement"))
        self.ensure_one()
        return self.partner_id.action_send_collection_statement()

    def action_view_events(self):
        check_group(self.env, GROUP_USER, self.env._("view the log of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_event")
        action.update(domain=[("case_id", "=", self.id)], context={"search_default_group_by_date": False})
        return action

    def _event_vals(self, name, **values):
        self.ensure_one()
        return {**self._event_base(), "name": name, **values}

    def _event_base(self):
        return {
            "case_id": self.id,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "amount_due": self.amount_due,
            "channel": "system",
            "state": "sent",
            "level_id": self.level_id.id,
        }

    def _move_to_stage(self, code, reason=None):
        """Move cases to the stage holding the technical code; logs one event per moved case.
        Their next level follows: none at a stage where dunning stops, back when they leave it."""
        stage = self.env["collection.stage"]._get_by_code(code)
        moving = self.filtered(lambda c: c.stage_id != stage)
        if not moving:
            return
        self.env["collection.event"].sudo()._log(
            [
                case._event_vals(
                    reason or self.env._("Stage moved from %(old)s to %(new)s", old=case.stage_id.name, new=stage.name)
                )
                for case in moving
            ]
        )
        moving._write_workflow({"stage_id": stage.id})
        moving._write_engine_values(moving._next_action_values())

    def _move_to_agreement_stage(self, code):
        """Where an agreement (promise, plan, dispute, settlement) takes its cases: open cases
        only, and never out of an agency's or a lawyer's hands, where dunning must not restart."""
        self.filtered(lambda c: c.state == "open" and c.stage_code not in HANDED_OVER_STAGE_CODES)._move_to_stage(code)

    def _handled_by(self):
        """Who works this handed-over case instead of us, for the customer to contact: the lawyer
        or court of a legal case. Hook: the agency addon gives the agency of the open placement.

        :return: res.partner (empty when the case is ours, or when nobody is known)
        """
        self.ensure_one()
        if self.stage_code == "legal":
            return self.legal_partner_id
        return self.env["res.partner"]

    # ------------------------------------------------------------------ engine entry points
    # what one run does is in engine/ (model collection.engine): these call it
    @api.model
    def run_collections(self, date=None, company_ids=None):
        """Refresh the cases, then execute every due level.

        Collections Managers only (the cron runs ``_cron_run_collections`` as superuser).

        :param date: ISO date of the run (default today), to simulate another day
        :param company_ids: restrict to these companies of the caller (default: the caller's current
            companies; every company for the superuser)
        :return: ``{"cases": n, "sent": n, "queued": n, "skipped": n, "failed": n}``
        """
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        return self._run_collections(date=date, company_ids=company_ids)

    @api.model
    def _cron_run_collections(self):
        self._run_collections(commit=True)

    def action_run_collections(self):
        """Manager button: run the engine now, for the current companies."""
        check_group(self.env, GROUP_MANAGER, self.env._("run the collections engine"))
        counts = self._run_collections(company_ids=self.env.companies.ids)
        return self._notification(
            self.env._("Collections run"),
            self.env._(
                "%(cases)s cases worked: %(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed. "
                "Queued reminder emails are rendered and sent by the mail queue in the next minutes.",
                **counts,
            ),
        )

    def action_send_next_reminder(self):
        """Collector button: execute the next level of these cases now, whatever its date, under
        the engine's guards (contact window, weekly cap, opt-outs: logged and deferred)."""
        check_group(self.env, GROUP_USER, self.env._("send the next reminder of a case"))
        today = self._collection_today()
        self._check_not_handed_over()
        cases = self.filtered(lambda c: c.state == "open" and c.next_level_id)
        if not cases:
            raise UserError(
                self.env._(
                    "%(cases)s has no next level to send: the case is closed or its policy has no level left.",
                    cases=", ".join(self.mapped("display_name")),
                )
            )
        # sudo: the engine acts for the company, once the collector's group is checked
        engine = self.env["collection.engine"].sudo()
        counts = engine._run_now(engine._new_run(today, cases.company_id, force=True), cases.sudo())
        return self._notification(
            self.env._("Reminder"),
            self.env._("%(queued)s queued, %(sent)s sent, %(skipped)s deferred, %(failed)s failed.", **counts),
        )

    @api.model
    def _run_collections(self, date=None, company_ids=None, commit=False):
        """One run of the engine (``collection.engine._run``) on ``date`` (ISO, default today)."""
        today = check_date(self.env, date, self.env._("The run date")) or fields.Date.context_today(self)
        companies = self._check_companies(company_ids, self.env._("run the collections engine"))
        # sudo: the engine acts for the company on data derived from the ledger
        engine = self.env["collection.engine"].sudo()
        return engine._run(engine._new_run(today, companies.sudo(), commit=commit))

    @api.model
    def _notification(self, title, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_agreements(self, companies, today):
        """Hook of the settle-agreements step (engine/settle_agreements.py): promises, payment
        plans and disputes move their states before levels run (kept, broken, completed...)."""

    def _write_engine_values(self, values_by_case):
        """Write the engine's own fields (level, stage, dates) of many cases in one UPDATE.

        No chatter tracking: each of these changes is an event of the collections log, which
        is the case's history. ``values_by_case``: {case id: {field: value}}, same fields for all.
        """
        if values_by_case:
            self.env.flush_all()
            bulk_update(self, values_by_case)

    def _check_not_handed_over(self):
        """Refuse contacting cases an agency or a lawyer works: they talk to the customer."""
        handed_over = self.filtered(lambda c: c.state == "open" and c.stage_code in HANDED_OVER_STAGE_CODES)
        if handed_over:
            case = handed_over[0]
            raise UserError(
                self.env._(
                    "Case %(case)s is %(stage)s (%(handler)s): we do not contact the customer ourselves any "
                    "more. Recall the case first to dun it again.",
                    case=case.display_name,
                    stage=case.stage_id.name,
                    handler=case._handled_by().display_name or self.env._("handed over"),
                )
            )

    def _check_manual_contact(self, channel):
        """What a collector's button checks before contacting the customers of these cases now:
        the engine's guards (stage, do-not-contact, opt-out, address, contact window, weekly cap).
        Raises a UserError naming each case refused and why."""
        self._check_not_handed_over()
        reasons = {}
        for case in self:
            if case.state != "open":
                reasons[case] = self.env._("the case is closed")
            elif blocked := case._channel_block_reason(channel):
                reasons[case] = blocked[1]
        deferred = self.env["collection.engine"]._contact_guards(
            self - self.browse([case.id for case in reasons]), fields.Datetime.now(), self._collection_today()
        )
        reasons.update({case: reason for case, (reason, _retry, _code) in deferred.items()})
        if reasons:
            raise UserError(
                self.env._(
                    "Not sent:\n%(reasons)s",
                    reasons="\n".join(f"{case.display_name}: {reason}" for case, reason in reasons.items()),
                )
            )

    def _channel_block_reason(self, channel):
        """Why the customer may not be contacted on this channel: (reason code, text), or False."""
        self.ensure_one()
        return self.partner_id._collection_block_reason(channel)

    def _dunned_invoices(self):
        """The open invoices a reminder of the case is about."""
        self.ensure_one()
        return self.dunning_invoice_ids

    # ------------------------------------------------------------------ refresh
    @api.model
    def refresh_cases(self, company_ids=None):
        """Create, update and close cases from open receivables.

        Collections Users, on their own companies.

        :param company_ids: restrict to these companies of the caller (default: the caller's current
            companies; every company for the superuser)
        :return: ``{"created": n, "updated": n, "closed": n}``
        """
        what = self.env._("refresh the collection cases")
        check_group(self.env, GROUP_USER, what)
        return self._refresh(self._check_companies(company_ids, what))

    def _check_companies(self, company_ids, what=None):
        """The companies of a run: those passed if they are the caller's, by default the caller's
        current ones (every company for the superuser: the cron)."""
        every = self.env["res.company"].sudo().search([]) if self.env.su else None  # pylint: disable=no-search-all
        return check_companies(self.env, company_ids, what or self.env._("run the collections"), default=every)

    def _refresh(self, companies, partner_ids=None):
        """Refresh cases of the companies, batch by batch of customers.

        Runs as superuser: cases are derived from accounting data only, whoever posted or
        reconciled the entry that triggered the refresh.
        """
        # sudo: cases mirror the ledger; the caller's rights on cases do not matter here.
        self = self.sudo().with_context(tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True)
        self.env.flush_all()
        if partner_ids is None:
            partner_ids = self._partners_to_refresh(companies)
        totals = {"created": 0, "updated": 0, "closed": 0}
        # the company default policies, read once for every batch
        defaults = {
            policy.company_id.id: policy for policy in self.env["collection.policy"].search([("is_default", "=", True)])
        }
        for batch in split_every(self._REFRESH_BATCH, sorted(set(partner_ids))):
            counts = self._refresh_batch(companies, list(batch), defaults)
            for key, count in counts.items():
                totals[key] += count
        return totals

    def _partners_to_refresh(self, companies):
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

        :return: list of dicts, one per (customer, company, currency)
        """
        query = SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   aml.company_id,
                   aml.currency_id,
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
             GROUP BY 1, 2, 3
            """,
            today=today,
            companies=companies.ids,
            partners=partner_ids,
        )
        return self.env.execute_query_dict(query)

    def _refresh_batch(self, companies, partner_ids, default_policies):
        today = self._collection_today()
        rows = self._receivable_balances(companies, partner_ids, today)
        # the open cases as plain rows: a refresh compares tens of thousands of them
        self.env.flush_all()
        open_rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT c.id, c.partner_id, c.company_id, c.currency_id, c.amount_due, c.amount_overdue,
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
        cases_by_key = {(row["partner_id"], row["company_id"], row["currency_id"]): row for row in open_rows}
        policies = self._policies_for(partner_ids, companies, default_policies)
        currencies = self.env["res.currency"].browse({row["currency_id"] for row in rows})
        currencies.fetch(["rounding", "decimal_places"])

        to_create, updates, seen, move_links = [], [], set(), []
        owing = {(row["partner_id"], row["company_id"], row["currency_id"]) for row in rows if row["amount_due"] > 0}
        for row in rows:
            currency = currencies.browse(row["currency_id"])
            amount_due = currency.round(row["amount_due"])
            overdue = currency.round(max(0.0, min(amount_due, row["overdue_gross"] + row["credits"])))
            policy = policies.get((row["partner_id"], row["company_id"]), self.env["collection.policy"])
            # invoices on hold under a promise, plan or dispute keep their case open, undunned
            held = currency.round(min(amount_due, row["overdue_held"]))
            if not self._qualifies(amount_due, max(overdue, held), row["oldest_due_date"], policy, today, currency):
                continue
            key = (row["partner_id"], row["company_id"], row["currency_id"])
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
                    updates.append((self.browse(case["id"]), vals))
                    case.update(vals)
                if row["linked_case_ids"] != [case["id"]]:  # else every open invoice already points at it
                    move_links.append((case["id"], row["move_ids"] or []))
            else:
                vals.update(partner_id=row["partner_id"], company_id=row["company_id"], currency_id=row["currency_id"])
                to_create.append((vals, row["move_ids"] or []))

        created = self._create_cases([vals for vals, _moves in to_create])
        move_links += [(case.id, moves) for case, (_vals, moves) in zip(created, to_create, strict=True)]
        self._write_amounts(updates)
        # next level and date of the cases that stay open (new cases got theirs when opened);
        # recomputed each time, so that policy changes and pauses show up here
        staying = [case for key, case in cases_by_key.items() if key in seen]
        levels = self._policy_level_delays([case["policy_id"] for case in staying])
        next_actions = {}
        for case in staying:
            next_action = self._next_action_for(
                levels.get(case["policy_id"], []),
                case["level_delay"],
                case["oldest_due_date"],
                case["paused_until"],
                stage_code=case["stage_code"],
            )
            if (case["next_level_id"] or False, case["next_action_date"] or False) != next_action:
                next_actions[case["id"]] = {"next_level_id": next_action[0], "next_action_date": next_action[1]}
        self._write_engine_values(next_actions)
        self._link_invoices(move_links)
        to_close = self.browse([case["id"] for key, case in cases_by_key.items() if key not in seen])
        to_close._close(today)
        to_close.filtered(lambda c: (c.partner_id.id, c.company_id.id, c.currency_id.id) not in owing)._thank()
        return {"created": len(created), "updated": len(updates), "closed": len(to_close)}

    @api.model
    def _qualifies(self, amount_due, overdue, oldest_due_date, policy, today, currency):
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

    def _create_cases(self, vals_list):
        """Open cases in one INSERT, complete: reference, stage, next action and scores are
        worked out first (a refresh from zero opens tens of thousands)."""
        if not vals_list:
            return self.browse()
        stage = self.env["collection.stage"]._get_by_code("new")
        levels_by_policy = self._policy_level_delays([vals["policy_id"] for vals in vals_list])
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        partners.fetch(["risk_score"])
        # each case starts with its customer's collector in its company (a per-company field)
        collectors = {}
        for company in self.env["res.company"].browse({vals["company_id"] for vals in vals_list}):
            for partner in partners.with_company(company):
                collectors[(partner.id, company.id)] = partner.collection_user_id.id
        self.env.flush_all()
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    self._table,
                    len(vals_list),
                )
            )
        ]
        rates, rows = {}, []
        for case_id, vals in zip(ids, vals_list, strict=True):
            next_level, next_date = self._next_action_for(
                levels_by_policy.get(vals["policy_id"], []), None, vals["oldest_due_date"], None
            )
            risk = partners.browse(vals["partner_id"]).risk_score or 0
            company = self.env["res.company"].browse(vals["company_id"])
            currency = self.env["res.currency"].browse(vals["currency_id"])
            rows.append(
                dict(
                    vals,
                    id=case_id,
                    name=f"COL{case_id:06d}",
                    state="open",
                    stage_id=stage.id,
                    user_id=collectors.get((vals["partner_id"], vals["company_id"])) or False,
                    next_level_id=next_level,
                    next_action_date=next_date,
                    risk_score=risk,
                    priority_score=self._priority_value(
                        company, currency, vals["amount_overdue"], vals["oldest_due_date"], risk, rates
                    ),
                )
            )
        cases = self.browse(bulk_insert(self, rows))
        self.env["collection.event"]._log([case._event_vals(self.env._("Case opened")) for case in cases])
        return cases

    def _write_amounts(self, updates):
        """Write the refreshed amounts of many cases in one UPDATE."""
        if not updates:
            return
        values = SQL(", ").join(
            SQL(
                "(%s, %s::numeric, %s::numeric, %s::date, %s, %s::int)",
                case.id,
                vals["amount_due"],
                vals["amount_overdue"],
                vals["oldest_due_date"] or None,
                vals["open_invoice_count"],
                vals["policy_id"] or None,
            )
            for case, vals in updates
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE collection_case c
                   SET amount_due = v.amount_due, amount_overdue = v.amount_overdue,
                       oldest_due_date = v.oldest_due_date, open_invoice_count = v.open_invoice_count,
                       policy_id = v.policy_id, write_date = NOW() AT TIME ZONE 'UTC', write_uid = %s
                  FROM (VALUES %s) AS v(id, amount_due, amount_overdue, oldest_due_date, open_invoice_count, policy_id)
                 WHERE c.id = v.id
                """,
                self.env.uid,
                values,
            )
        )
        self.browse([case.id for case, _vals in updates]).invalidate_recordset(
            ["amount_due", "amount_overdue", "oldest_due_date", "open_invoice_count", "policy_id"]
        )

    def _link_invoices(self, move_links):
        """Point every open invoice at its case, in one UPDATE."""
        move_ids, case_ids = [], []
        for case_id, moves in move_links:
            move_ids += moves
            case_ids += [case_id] * len(moves)
        if not move_ids:
            return
        self.env.execute_query(
            SQL(
                """
                UPDATE account_move m SET collection_case_id = v.case_id
                  FROM unnest(%s::int[], %s::int[]) AS v(move_id, case_id)
                 WHERE m.id = v.move_id AND m.collection_case_id IS DISTINCT FROM v.case_id
                """,
                move_ids,
                case_ids,
            )
        )
        self.env["account.move"].browse(move_ids).invalidate_recordset(["collection_case_id"])
        self.invalidate_model(["invoice_ids"])

    def _next_action_values(self):
        """{case id: {next_level_id, next_action_date}} of the cases where they change."""
        levels = self._policy_level_delays(self.policy_id.ids)
        changes = {}
        for case in self:
            key = self._next_action_for(
                levels.get(case.policy_id.id, []),
                case.level_id.delay_days if case.level_id else None,
                case.oldest_due_date,
                case.paused_until,
                stage_code=case.stage_code if case.state == "open" else "paid",
            )
            if (case.next_level_id.id or False, case.next_action_date) != key:
                changes[case.id] = {"next_level_id": key[0], "next_action_date": key[1]}
        return changes

    @api.model
    def _policy_level_delays(self, policy_ids):
        """{policy id: [(level id, delay days)]} in level order, for next-action computations."""
        policies = self.env["collection.policy"].browse(set(policy_ids) - {False, None})
        return {policy.id: [(level.id, level.delay_days) for level in policy.level_ids] for policy in policies}

    @api.model
    def _next_action_for(self, levels, current_delay, oldest_due_date, paused_until, stage_code=None):
        """(next level id, its date) after the level of delay ``current_delay`` (None: no level
        yet), among ``levels`` [(level id, delay days)]; False where there is none, and for a
        case at a stage where dunning stops (``stage_code``: at an agency, legal, closed)."""
        if stage_code in STOPPED_STAGE_CODES:
            return False, False
        next_level = next((level for level in levels if current_delay is None or level[1] > current_delay), None)
        next_date = oldest_due_date + timedelta(days=next_level[1]) if next_level and oldest_due_date else False
        if paused_until and next_date and next_date < paused_until:
            next_date = paused_until
        return (next_level[0] if next_level else False), next_date

    def _close(self, today):
        if not self:
            return
        self._write_workflow(
            {
                "state": "closed",
                "closed_date": today,
                "amount_due": 0.0,
                "amount_overdue": 0.0,
                "open_invoice_count": 0,
                "next_action_date": False,
                "next_level_id": False,
            }
        )
        self._move_to_stage("paid", reason=self.env._("Nothing left to collect: case closed"))

    def _thank(self):
        """Email a thank-you note on cases just paid in full, where the company wants it."""
        if not self:
            return
        template = self.env.ref("account_collections.mail_template_collection_thanks", raise_if_not_found=False)
        cases = self.filtered(lambda c: c.company_id.collection_send_thanks and not c._channel_block_reason("email"))
        if not template or not cases:
            return
        mails, errors = template._collection_queue_mails(cases)
        self.env["collection.event"].sudo().create(
            [
                case._event_vals(
                    self.env._("Thank-you email"),
                    channel="email",
                    state="queued" if case.id in mails else "failed",
                    reason=False if case.id in mails else errors.get(case.id),
                    reason_code=False if case.id in mails else "render",
                    level_id=False,  # not a level's reminder
                    mail_mail_id=mails[case.id].id if case.id in mails else False,
                    mail_message_id=mails[case.id].mail_message_id.id if case.id in mails else False,
                )
                for case in cases
            ]
        )

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_pay_invoices(self, invoice_ids):
        """Demo data helper: register a full payment for the given invoices."""
        invoices = self.env["account.move"].browse(invoice_ids)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {}
        )._create_payments()
