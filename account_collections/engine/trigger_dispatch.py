class TriggerDispatchStep:
    """Step: the queued reminder emails are rendered by their own cron job, batch by batch."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _trigger_dispatch(self, run):
        """Start the dispatch of the reminder emails the run queued (``collection.event._dispatch_emails``)."""
        if run.counts["queued"]:
            self.env["collection.event"]._trigger_dispatch()
