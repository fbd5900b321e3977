import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import (
    GROUP_USER,
    check_companies,
    check_date,
    check_group,
    collection_today,
)
from .bulk_sql import reserve_sequence_numbers

_logger = logging.getLogger(__name__)

CLOSED_STAGE_CODES = ("paid", "written_off")
# cases handed over to an agency or a lawyer: they work the debt, we neither dun nor contact the
# customer, and no agreement moves the case (only the handover, the recall and the closing do)
HANDED_OVER_STAGE_CODES = ("agency", "legal")
# stages where internal dunning stops: no next level for the cases there
STOPPED_STAGE_CODES = HANDED_OVER_STAGE_CODES + CLOSED_STAGE_CODES
# stages cases enter and leave only through their wizards and the engine, never by hand
WORKFLOW_STAGE_CODES = STOPPED_STAGE_CODES


# cursor cache key of the event values the engine prepared for a batch of cases
_EVENT_BASES = "account_collections.event_bases"


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
        self._set_references([vals for vals in vals_list if not vals.get("name")])
        return super().create(vals_list)

    def _set_references(self, vals_list):
        """Give the new cases their reference from the sequence (drawn in one query for all)."""
        if not vals_list:
            return
        # sudo: the reference sequence is configuration, cases get their number whoever opens them
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "collection.case"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        names = reserve_sequence_numbers(sequence, len(vals_list)) if sequence else ["/"] * len(vals_list)
        for vals, name in zip(vals_list, names, strict=True):
            vals["name"] = name

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
        # the engine logs several events per case: it reads the case once (see _event_bases)
        base = self.env.cr.cache.get(_EVENT_BASES, {}).get(self.id) or self._event_base()
        return {**base, "name": name, **values}

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

    @contextmanager
    def _event_bases(self):
        """Within the block, events of these cases start from values read once here (the
        cases must not change their customer, amount or level inside it)."""
        self.env.cr.cache[_EVENT_BASES] = {case.id: case._event_base() for case in self}
        try:
            yield
        finally:
            self.env.cr.cache.pop(_EVENT_BASES, None)

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
        companies = self._check_companies(company_ids, what)
        # sudo: cases mirror the ledger, the caller's rights on them do not matter (checked above)
        Engine = self.env["collection.engine"].sudo()
        return Engine._refresh(Engine._new_run(self._collection_today(), companies))

    def _check_companies(self, company_ids, what=None):
        """The companies of a run: those passed if they are the caller's, by default the caller's
        current ones (every company for the superuser: the cron)."""
        every = self.env["res.company"].sudo().search([]) if self.env.su else None  # pylint: disable=no-search-all
        return check_companies(self.env, company_ids, what or self.env._("run the collections"), default=every)

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

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_pay_invoices(self, invoice_ids):
        """Demo data helper: register a full payment for the given invoices."""
        invoices = self.env["account.move"].browse(invoice_ids)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {}
        )._create_payments()
