from odoo import models


class CollectionEngine(models.AbstractModel):
    """The SMS channel of the engine (a level's reminder SMS, after its letter), and the SMS
    reminders of the open promises coming due, after the settle step."""

    _inherit = "collection.engine"

    def _channels(self):
        channels = super()._channels()
        channels.insert(channels.index("letter") + 1, "sms")
        return channels

    def _run_sms(self, run, level, cases):
        """Queue the level's reminder SMS of each case reachable by SMS (see ``_send_collection_sms``)."""
        if not level.send_sms:
            return []
        return cases._send_collection_sms(level.sms_template_id, run.counts, level=level)

    def _retry_level_contact(self, run, level, channel, cases):
        if channel == "sms":
            return self._run_sms(run, level, cases)
        return super()._retry_level_contact(run, level, channel, cases)

    def _settle_agreements(self, run):
        """Once the agreements and the behaviour settled, remind by SMS the customers of the
        promises still open that come due (after the promises settled: a promise kept today gets
        no reminder)."""
        res = super()._settle_agreements(run)
        # sudo: the run reminds the promises of its companies, whoever launched it
        promises = (
            self.env["collection.promise"]
            .sudo()
            .with_context(collection_date=run.today)
            .search(
                [("state", "=", "open"), ("company_id", "in", run.companies.ids), ("sms_reminder_sent", "=", False)]
            )
        )
        promises._send_sms_reminders(run.today)
        return res
