class LetterChannel:
    """Channel: the level's letter, queued for *Letters to Print*."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_letter(self, run, level, cases):
        """Queue the level's letter of each case reachable by post, as a log event."""
        if not level.send_letter:
            return []
        reachable, events = self._contact_split(run, "letter", level, cases)
        for case in reachable:
            run.counts["queued"] += 1
            events.append(
                self._event_vals(
                    run,
                    case,
                    self.env._("%(level)s: letter to print", level=level.name),
                    channel="letter",
                    state="queued",
                    level_id=level.id,
                    invoice_ids=[(6, 0, case._dunned_invoices().ids)],
                )
            )
        return events
