class LetterChannel:
    """Channel: the level's letter, queued for *Letters to Print*."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_letter(self, run, level, cases):
        """Queue the level's letter of each case reachable by post, as a log event."""
        if not level.send_letter:
            return []
        return self._queue_contacts(
            run, "letter", level, cases, self.env._("%(level)s: letter to print", level=level.name)
        )
