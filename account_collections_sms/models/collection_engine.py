from odoo import models


class CollectionEngine(models.AbstractModel):
    """The SMS channel of the engine: a level's reminder SMS, after its letter."""

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
