class SettleAgreementsStep:
    """Step: the agreements that hold invoices move their states before levels run."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _settle_agreements(self, run):
        Case = self.env["collection.case"].sudo().with_context(collection_date=run.today)
        Case._check_agreements(run.companies, run.today)
