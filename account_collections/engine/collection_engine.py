import logging

from odoo import models, modules
from odoo.tools import groupby, split_every

from .channel_activity import ActivityChannel
from .channel_email import EmailChannel
from .channel_fees import FeesChannel
from .channel_letter import LetterChannel
from .consumers import ConsumerRules
from .execute_levels import ExecuteLevelsStep
from .expected_dates import ExpectedDatesStep
from .group_reminders import GroupRemindersStep
from .guards import GuardsStep
from .lock_batch import LockBatchStep
from .log import LogStep
from .log_paused import LogPausedStep
from .refresh import RefreshStep
from .retry_failed import RetryFailedStep
from .run import EngineRun
from .select_due import SelectDueStep
from .send_statements import SendStatementsStep
from .settle_agreements import SettleAgreementsStep
from .track_links import TrackLinksStep
from .trigger_dispatch import TriggerDispatchStep
from .working_days import WorkingDays

_logger = logging.getLogger(__name__)

# models the engine keeps in cache from one batch to the next: configuration, not data
_KEPT_IN_CACHE = frozenset(
    {
        "collection.level",
        "collection.policy",
        "collection.stage",
        "ir.model",
        "mail.activity.type",
        "mail.template",
        "res.company",
        "res.currency",
        "res.users",
    }
)


class CollectionEngine(
    RefreshStep,
    SettleAgreementsStep,
    ExpectedDatesStep,
    LogPausedStep,
    SelectDueStep,
    LockBatchStep,
    GuardsStep,
    ExecuteLevelsStep,
    GroupRemindersStep,
    EmailChannel,
    LetterChannel,
    ActivityChannel,
    FeesChannel,
    SendStatementsStep,
    LogStep,
    RetryFailedStep,
    TriggerDispatchStep,
    TrackLinksStep,
    WorkingDays,
    ConsumerRules,
    models.AbstractModel,
):
    """The collections engine: one run, step by step.

    ``_run`` reads as the steps it takes; each step is a method defined in the file of
    ``engine/`` named after it, and takes the run (``EngineRun``) and the cases it works on.
    The channels a level uses are ``_run_<channel>`` methods (``_run_email``, ``_run_letter``,
    ``_run_activity``, ``_run_fees``; the SMS addon adds ``_run_sms``), in the style of
    ``stock.rule._run_<action>``, called in the order of ``_channels``.

    The engine runs as superuser (its callers check the caller's group first): it acts for the
    company on data derived from the ledger.

    Each step is a plain class mixed in here, so the model is defined once in its addon (bridge
    addons extend it with ``_inherit = "collection.engine"`` as usual). A step class declares
    ``__slots__ = ()``, as Odoo's metaclass does for model classes: a class with an instance
    ``__dict__`` among the bases would make the registry's ``__bases__`` assignment fail as soon
    as another addon extends the model ("object layout differs").
    """

    _name = "collection.engine"
    _description = "Collections Engine"

    def _new_run(self, today, companies, **options):
        return EngineRun(today=today, companies=companies, **options)

    # ------------------------------------------------------------------ the run
    def _run(self, run):
        """One run of the engine over ``run.companies`` on ``run.today``; returns the counts."""
        # the computes the steps read (days overdue, the invoices a reminder is about) follow the run date
        self = self.with_context(collection_date=run.today)
        self._refresh(run)
        self._settle_agreements(run)
        self._expected_dates(run)
        self._log_paused(run)
        due_ids = self._select_due(run)
        run.due_ids.update(due_ids)
        self._resolve_addresses(run)
        self._commit(run)  # the cron keeps the refreshed cases, whatever happens to the batches
        self._in_batches(run, due_ids, self._run_batch, progress=True, together=run.due_customers)
        self._send_statements(run)
        self._retry_failed(run)
        self._trigger_dispatch(run)
        self._notify_activity_users(run)
        _logger.info("Collections run for %s: %s", run.today, run.counts)
        return run.counts

    def _run_batch(self, run, case_ids):
        """One batch of due cases: lock batch -> guards -> execute levels -> group reminders ->
        channels (the batch's activities scheduled together) -> log."""
        cases = self._lock_batch(run, case_ids)
        if not cases:
            return
        run.event_bases = {case.id: case._event_base() for case in cases}
        try:
            cases, events = self._guards(run, cases)
            run.counts["cases"] += len(cases)
            levels = self._levels_to_execute(run, cases)
            events += self._execute_levels(run, levels)
            self._group_reminders(run, levels)
            for level, level_cases in self._cases_by_level(levels).items():
                events += self._left_out_events(run, level, level_cases)
                events += self._run_channels(run, level, level_cases)
            self._schedule_activities(run)
            self._log(run, events)
        finally:
            run.event_bases, run.activities, run.recipients, run.reminder_leads = {}, [], {}, {}

    def _run_now(self, run, cases):
        """A collector's click: the next level of ``cases`` now (``run.force``), under the same
        guards, and their reminder email in the mail queue now, not with the next dispatch."""
        self = self.with_context(collection_date=run.today)
        self._run_batch(run, cases.ids)
        self._notify_activity_users(run)
        self.env["collection.event"]._dispatch_emails(case_ids=cases.ids)
        return run.counts

    # ------------------------------------------------------------------ channels
    def _channels(self):
        """The channels a level runs, in this order: each a ``_run_<channel>(run, level, cases)``
        method returning the event values to log (it does nothing when the level does not use it).
        Channel addons insert theirs (SMS after the letter)."""
        return ["email", "letter", "fees", "activity"]

    def _run_channels(self, run, level, cases):
        """Run the level's channels on ``cases`` (all at ``level``); returns the event values."""
        events = []
        for channel in self._channels():
            events += getattr(self, f"_run_{channel}")(run, level, cases)
        return events

    # ------------------------------------------------------------------ batches
    def _batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param("account_collections.batch_size", "1000")
        try:
            return max(1, int(value))
        except ValueError:
            return 1000

    def _in_batches(self, run, case_ids, step, progress=False, together=None):
        """``step(run, batch)`` on ``case_ids``, batch by batch (``account_collections.batch_size``).

        A batch is all or nothing: it runs in a savepoint, so a crash rolls back its cases and
        earlier batches stay done; the cron commits after each one.

        :param together: {case id: key}: consecutive cases of one key stay in one batch (a batch
            grows past the size until the key changes)
        """
        done = 0
        for batch in self._split_batches(case_ids, together):
            with self.env.cr.savepoint():
                step(run, list(batch))
            self._release_batch_cache()
            done += len(batch)
            self._commit(run, (done, len(case_ids) - done) if progress else None)

    def _split_batches(self, case_ids, together=None):
        """``case_ids`` in batches of at most the batch size, consecutive ids of one key in
        ``together`` never split across two: a batch ends before a key's ids that would not fit
        (a key with more ids than the batch size has a batch of its own). A batch never grows past
        the size, so the ORM reads each of its models in one query (it prefetches by 1,000)."""
        size = self._batch_size()
        if not together:
            yield from split_every(size, case_ids)
            return
        batch = []
        for _key, group in groupby(case_ids, key=together.get):
            if batch and len(batch) + len(group) > size:
                yield batch
                batch = []
            batch += group
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _commit(self, run, progress=None):
        """The cron's batch boundary: commit (never while tests run), report ``progress`` (done, remaining)."""
        if not run.commit or modules.module.current_test:
            return
        self._notify_activity_users(run)
        self.env.cr.commit()  # pylint: disable=invalid-commit  # cron batch boundary
        if progress:
            self.env["ir.cron"]._notify_progress(done=progress[0], remaining=progress[1])

    def _release_batch_cache(self):
        """Drop the batch's records from the cache so memory stays flat over batches; the
        configuration every batch reads (levels, policies, stages, companies...) stays."""
        self.env.flush_all()
        # straight to the cache: invalidate_model would also drop the inverse fields of the kept
        # models (a company's partner, a user's partner), read again in every batch
        self.env.cache.invalidate(
            [
                (field, None)
                for model_name, model in self.env.registry.items()
                if model_name not in _KEPT_IN_CACHE
                for field in model._fields.values()
            ]
        )
