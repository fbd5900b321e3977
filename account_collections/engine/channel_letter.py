class LetterChannel:
    """Channel: the level's letter, queued for *Letters to Print*; also the letter in place of the
    email of a level when the customer's email address bounced and no other recipient is left."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_letter(self, run, level, cases):
        """Queue the level's letter of each case reachable by post, as a log event; a level that
        emails only writes to the customers whose email address bounced."""
        if level.send_letter:
            return self._queue_contacts(
                run, "letter", level, cases, self.env._("%(level)s: letter to print", level=level.name)
            )
        if not level.send_email:
            return []
        # the customers whose own address bounced, and no other recipient left to email
        flagged = cases.filtered(lambda case: case.partner_id.message_bounce)
        if not flagged:
            return []
        recipients = self._batch_recipients(run, level, flagged)
        bounced = flagged.filtered(
            lambda case: (case._channel_block_reason("email", recipients) or ("",))[0] == "bounced"
        )
        if not bounced:
            return []
        return self._queue_contacts(
            run,
            "letter",
            level,
            bounced,
            self.env._("%(level)s: letter to print (the email address bounced)", level=level.name),
        )
