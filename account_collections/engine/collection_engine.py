import logging

from odoo import models

from .refresh import RefreshStep
from .run import EngineRun
from .settle_agreements import SettleAgreementsStep

_logger = logging.getLogger(__name__)


class CollectionEngine(RefreshStep, SettleAgreementsStep, models.AbstractModel):
    """The collections engine: one run, step by step.

    ``_run`` reads as the steps it takes; each step is a method defined in the file of
    ``engine/`` named after it. The channels a level uses are ``_run_<channel>`` methods
    (``_run_email``, ``_run_letter``, ``_run_activity``, ``_run_fees``; the SMS addon adds
    ``_run_sms``), in the style of ``stock.rule._run_<action>``.
    """

    _name = "collection.engine"
    _description = "Collections Engine"

    def _new_run(self, today, companies, **options):
        return EngineRun(today=today, companies=companies, **options)

    def _run(self, run):
        """One run of the engine over ``run.companies`` on ``run.today``; returns the counts.

        refresh -> settle agreements -> select due -> lock batch -> guards -> execute levels ->
        channels -> log -> trigger dispatch
        """
        self._refresh(run)
        self._settle_agreements(run)
        Case = self.env["collection.case"].sudo().with_context(collection_date=run.today)
        # the steps below still live in models/collection_case_engine.py: they move here one by one
        return Case._run_collections(date=run.today, company_ids=run.companies.ids, commit=run.commit)
