"""Who may call what: one decision for every public method of the three addons.

A public method is one a client can call over RPC (``/web/dataset/call_kw``, XML-RPC): a method
of a model, wizard or report class of ours whose name has no leading underscore (Odoo refuses
``_*`` and ``init`` remotely). ``test_roles_table.py`` fails on a public method without a decision
here; ``test_roles_portal.py``, ``test_roles_agency.py`` and ``test_roles_collector.py`` call each
method as that role and check the decision holds.

Decisions:

- ``MANAGER``: Collections Managers only (the cron runs as superuser and passes);
  ``check_group(env, GROUP_MANAGER, ...)`` before anything else.
- ``USER``: Collections Users and Managers; ``check_group(env, GROUP_USER, ...)`` first.
- ``BILLING``: Odoo's Invoicing users (``account.group_account_invoice``, which Collections
  Users have).
- ``ACL``: an ORM method of one of our models that we extend (``create``, ``write``, ``unlink``,
  ``copy_data``): the model's access rights and record rules decide, then the workflow guards.
- ``ODOO``: an Odoo method of an Odoo model that we extend (an invoice's ``write``, Reset to
  Draft...): Odoo's own access rights decide, we add only what follows from it.

Portal users (customers and agency staff) reach the suite only through the portal pages; every
method here refuses them (``ACL`` and ``ODOO`` ones through the access rights).
"""

MANAGER = "manager"
USER = "user"
BILLING = "billing"
ACL = "acl"
ODOO = "odoo"

# (model, method): decision
DECISIONS = {
    # ---------------------------------------------------------------- account_collections: the engine
    ("collection.case", "run_collections"): MANAGER,
    ("collection.case", "action_run_collections"): MANAGER,
    ("collection.case", "refresh_cases"): USER,
    ("collection.event", "dispatch_emails"): MANAGER,
    ("collection.policy", "action_apply_assignment_rules"): MANAGER,
    # ---------------------------------------------------------------- reports over the ledger
    ("collection.aged.receivable", "get_aging"): USER,
    ("collection.kpi.month", "get_kpis"): USER,
    ("collection.case", "get_dashboard_data"): USER,
    ("collection.case", "get_cash_forecast"): USER,
    ("collection.aged.receivable.wizard", "action_open"): USER,
    ("collection.aged.receivable.wizard", "action_print_pdf"): USER,
    ("collection.aged.receivable.wizard", "action_export_xlsx"): USER,
    # ---------------------------------------------------------------- cases
    ("collection.case", "action_send_next_reminder"): USER,
    ("collection.case", "action_pause"): USER,
    ("collection.case", "action_resume"): USER,
    ("collection.case", "action_log_call"): USER,
    ("collection.case", "action_new_promise"): USER,
    ("collection.case", "action_new_payment_plan"): USER,
    ("collection.case", "action_new_dispute"): USER,
    ("collection.case", "action_new_settlement"): USER,
    ("collection.case", "action_write_off"): USER,
    ("collection.case", "action_legal_handover"): USER,
    ("collection.case", "action_print_legal_file"): USER,
    ("collection.case", "action_print_statement"): USER,
    ("collection.case", "action_send_statement"): USER,
    ("collection.case", "action_view_events"): USER,
    ("collection.case", "action_view_invoices"): USER,
    ("collection.case", "action_view_promises"): USER,
    ("collection.case", "action_view_payment_plans"): USER,
    ("collection.case", "action_view_disputes"): USER,
    ("collection.case", "action_view_settlements"): USER,
    ("collection.case", "action_view_write_offs"): USER,
    # ---------------------------------------------------------------- workflow fields (ORM, guarded)
    ("collection.case", "create"): ACL,
    ("collection.dispute", "write"): ACL,
    ("collection.payment.plan.line", "create"): ACL,
    ("collection.agency.placement", "write"): ACL,
    ("collection.agency.placement.line", "create"): ACL,
    ("collection.agency.placement.line", "write"): ACL,
    ("collection.case", "write"): ACL,
    ("collection.event", "action_print_letters"): USER,
    ("collection.event", "write"): ACL,
    ("collection.stage", "create"): ACL,
    ("collection.stage", "write"): ACL,
    ("collection.stage", "unlink"): ACL,
    ("collection.reference.rate", "create"): ACL,
    ("collection.reference.rate", "write"): ACL,
    ("collection.reference.rate", "unlink"): ACL,
    ("collection.policy", "copy_data"): ACL,
    # ---------------------------------------------------------------- agreements
    ("collection.promise", "action_confirm"): USER,
    ("collection.promise", "action_cancel"): USER,
    ("collection.promise", "create"): ACL,
    ("collection.promise", "write"): ACL,
    ("collection.payment.plan", "action_compute_schedule"): USER,
    ("collection.payment.plan", "action_activate"): USER,
    ("collection.payment.plan", "action_cancel"): USER,
    ("collection.payment.plan", "action_print"): USER,
    ("collection.payment.plan", "action_view_case"): USER,
    ("collection.payment.plan", "create"): ACL,
    ("collection.payment.plan", "write"): ACL,
    ("collection.payment.plan.line", "write"): ACL,
    ("collection.settlement", "action_offer"): USER,
    ("collection.settlement", "action_accept"): USER,
    ("collection.settlement", "action_cancel"): USER,
    ("collection.settlement", "action_preview"): USER,
    ("collection.settlement", "action_view_write_off"): USER,
    ("collection.settlement", "create"): ACL,
    ("collection.settlement", "write"): ACL,
    ("collection.dispute", "action_open"): USER,
    ("collection.dispute", "action_resolve"): USER,
    ("collection.dispute", "action_reject"): USER,
    ("collection.dispute", "action_credit"): USER,
    ("collection.dispute", "action_open_resolve_wizard"): USER,
    ("collection.dispute", "action_view_credit_note"): USER,
    ("collection.dispute", "create"): ACL,
    ("collection.dispute.resolve", "action_apply"): USER,
    ("collection.write.off", "action_post"): USER,
    ("collection.write.off", "action_reverse"): USER,
    ("collection.write.off", "action_view_moves"): USER,
    ("collection.write.off", "create"): ACL,
    ("collection.write.off", "write"): ACL,
    ("collection.write.off.wizard", "default_get"): USER,
    ("collection.write.off.wizard", "action_confirm"): USER,
    ("collection.legal.handover", "default_get"): USER,
    ("collection.legal.handover", "action_confirm"): USER,
    ("collection.log.call", "default_get"): USER,
    ("collection.log.call", "action_confirm"): USER,
    # ---------------------------------------------------------------- Odoo models we extend
    ("account.move", "action_open_collection_case"): USER,
    ("account.move", "action_new_collection_dispute"): USER,
    ("account.move", "action_view_collection_disputes"): USER,
    ("account.move", "button_draft"): ODOO,
    ("account.move", "button_cancel"): ODOO,
    ("account.move", "create"): ODOO,
    ("account.move", "write"): ODOO,
    ("account.move.line", "remove_move_reconcile"): ODOO,
    # Odoo's click on a tracked link (only the system creates clicks): a reminder's is logged
    ("link.tracker.click", "add_click"): ODOO,
    ("res.partner", "action_send_collection_statement"): USER,
    ("res.partner", "action_view_collection_cases"): USER,
    ("res.partner", "action_recompute_payment_behaviour"): USER,
    ("res.partner", "create"): ODOO,
    ("res.partner", "write"): ODOO,
    ("res.company", "create"): ODOO,
    # Odoo's activity mixin on a case: its due date moved to the company's next working day
    ("collection.case", "activity_schedule"): ODOO,
    # ---------------------------------------------------------------- account_collections_sms
    ("collection.case", "action_send_sms"): USER,
    ("mail.notification", "write"): ODOO,
    # ---------------------------------------------------------------- account_collections_agency
    ("collection.case", "action_agency_handover"): USER,
    ("collection.case", "action_view_placements"): USER,
    ("collection.agency.placement", "action_generate_file"): USER,
    ("collection.agency.placement", "action_send"): USER,
    ("collection.agency.placement", "action_acknowledge"): USER,
    ("collection.agency.placement", "action_close"): USER,
    ("collection.agency.placement", "action_recall"): USER,
    ("collection.agency.placement", "action_import_status"): USER,
    ("collection.agency.placement", "import_file"): USER,
    ("collection.agency.placement", "action_view_cases"): USER,
    ("collection.agency.placement", "action_view_lines"): USER,
    ("collection.agency.placement", "action_view_imports"): USER,
    ("collection.agency.placement", "create"): ACL,
    ("collection.agency.placement.line", "action_recall"): USER,
    ("collection.agency.handover", "default_get"): USER,
    ("collection.agency.handover", "action_confirm"): USER,
    ("collection.agency.import.wizard", "action_import"): USER,
    ("collection.agency.recall", "action_confirm"): USER,
}

# the modules of the three addons (account_collections, _sms and _agency) start so
MODULE_PREFIX = "odoo.addons.account_collections"


ORM_METHODS = frozenset({"create", "write", "unlink", "copy_data"})


def public_methods(registry):
    """Every (model, method) a client can call that a class of the three addons defines."""
    from odoo.models import regex_private

    found = set()
    for model_name, model_class in registry.items():
        # an abstract model has no records: its ORM overrides run only in the models that inherit it
        skipped = ORM_METHODS if model_class._abstract else ()
        for cls in model_class.mro():
            if not (getattr(cls, "__module__", None) or "").startswith(MODULE_PREFIX):
                continue
            for name, value in vars(cls).items():
                if (
                    callable(value)
                    and not isinstance(value, type)
                    and not regex_private.match(name)
                    and name not in skipped
                ):
                    found.add((model_name, name))
    return found
