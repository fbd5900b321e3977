class RefreshStep:
    """Step: refresh the cases from the open receivables (create, update, close)."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _refresh(self, run, partner_ids=None):
        """Refresh the cases of ``run.companies`` (of ``partner_ids`` only, when given)."""
        Case = self.env["collection.case"].sudo().with_context(collection_date=run.today)
        if not run.thank:
            Case = Case.with_context(collection_no_thanks=True)
        return Case._refresh(run.companies, partner_ids=partner_ids)
