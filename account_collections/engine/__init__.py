"""The collections engine (model ``collection.engine``): what one run does, one file per step.

``collection_engine.py`` holds the run (``CollectionEngine._run``), its batches and commits; each
step is a method in the file named after it, taking the run object (``run.py``, ``EngineRun``:
the run date, the companies, a collector's click, the counts...) and the cases it works on:

refresh (``refresh.py``) -> settle agreements (``settle_agreements.py``) -> expected payment
dates (``expected_dates.py``) -> log paused (``log_paused.py``) -> select due (``select_due.py``)
-> their addresses (``group_reminders.py``, ``_resolve_addresses``)
-> for each batch: lock batch (``lock_batch.py``) -> guards (``guards.py``) -> execute levels (``execute_levels.py``) ->
group reminders (``group_reminders.py``) -> channels (``channel_email.py``, ``channel_letter.py``, ``channel_fees.py``,
``channel_activity.py``; ``account_collections_sms`` adds ``_run_sms``) -> log (``log.py``) ->
scheduled statements (``send_statements.py``) -> retry failed renders (``retry_failed.py``) ->
trigger dispatch (``trigger_dispatch.py``). The email dispatch (``collection.event._dispatch_emails``)
tracks the links of what it renders (``track_links.py``).

What the run carries travels in ``EngineRun``, not in the context or the cursor: the run date,
a collector's click (``force``), the thank-you setting, the counts, the event values read once
per batch (``event_bases``), the collectors whose activity counter refreshes (``activity_users``).
The context keys left in the three addons are those through which Odoo's own API calls back
into our code, where nothing else can carry a value:

- ``collection_date``: the run date (a ``date``, set by server code only: tools/run_date.py).
  Computes read it, marked ``@api.depends_context("collection_date")``: the case's
  ``days_overdue``, ``open_invoice_ids``/``dunning_invoice_ids`` (time-barred invoices), the
  invoice's ``time_barred`` and early payment discount; the ORM calls them, with no argument.
  The engine sets it to ``run.today`` (``_run``, ``_run_now``), so that the agreement methods
  (``_collection_today``) the run calls see the same day; tests simulate a day with it.
- ``collection_no_refresh``: read in the account.move and account.move.line overrides that
  refresh the customer's case (``_post``, ``button_draft``, ``button_cancel``, ``write``,
  ``_reconcile_plan``), which Odoo's accounting code calls: posting the engine's charge invoices
  and a write-off's entries must not refresh the case in the middle of its work.
- ``collection_render_once``: read in ``mail.render.mixin._render_template_qweb``, which Odoo's
  mass-mail composer calls: a collections email compiles its body once for all records; and in
  ``mail.compose.message._action_send_mail``: a statement the engine queued was guarded and logged
  when the run queued it (a statement sent by hand is guarded and logged there).
- ``collection_reminder_cases`` and ``collection_recipients``: set by the dispatch
  (``collection.event._render_queued_emails``) on the reminder template, read while Odoo's
  mass-mail composer renders it: the cases one reminder lists ({lead case id: case ids}, through
  ``collection.case._collection_reminder_cases``, which the template calls) and its resolved
  recipients ({case id: (To partner ids, Cc)}, in ``mail.compose.message._prepare_mail_values_dynamic``).
- ``collection_policy_auto``: read in res.partner's ``create``/``write`` (ORM methods, no extra
  argument): the policies' assignment rules (risk bands, segments: ``_assign_collection_policies``)
  setting a policy is not a policy chosen by hand.
- ``collection_agency_import`` (agency): read by ``collection.case._close``, reached from the
  import's payments through Odoo's reconciliation and the refresh: a placed case the import
  closes is not a case the customer paid directly.
- ``collection_channel``: read by ``collection.dispute._event_channel`` under ``action_open``, a
  button (called without arguments): the portal's path logs the dispute as the customer's.
- ``dispute_decision``: the resolve button's context (set in the view) gives the wizard's default decision.
- ``collection_partner_id``: the *Log a Call* button of the customer form gives the wizard
  (``default_get``) its customer.
- ``aging_date``, ``kpi_date``, ``kpi_months``: the as-of date and period of the aged receivables
  and KPI report models, which the web client searches and groups (``_table_query``, ``_read_group``).

Odoo's own keys, used as its API: ``tracking_disable``, ``mail_create_nolog``,
``mail_create_nosubscribe``, ``mail_notify_force_send``, ``mail_activity_quick_update``,
``mail_activity_automation_skip``,
``active_model``, ``active_id``, ``active_ids``, ``active_test``, ``allowed_company_ids``, ``lang``,
``default_*``, ``profile`` (read to leave Odoo's profiled rendering alone), and, in tests,
``force_report_rendering``, ``discard_logo_check``, ``template_preview_lang``.

Gone: ``collection_no_thanks`` (``run.thank``: a write-off's refresh thanks nobody),
``collection_stage_by_code`` (a move by code is ``collection.case._move_to_stage(code)``;
a user's write with the key is refused like any other), ``collection_batch_tracking`` and
``collection_tracking_log`` (with the batched chatter tracking: the engine's level and stage
changes are in the log, written without tracking), and the cursor's side channels
(``cr.cache`` event bases, ``cr.precommit.data`` activity users and tracking logs).
"""

from . import collection_engine
