from odoo import models

# cursor precommit data key of the tracking messages waiting to be created together
_TRACKING_LOGS = "account_collections.case_tracking_logs"


class CollectionCase(models.Model):
    """Tracking messages of many cases created in one batch.

    The engine moves the level and stage of thousands of cases per run; Odoo logs the tracking
    of each record with its own message (two queries per case). Here the same messages, with
    the same values, are created together at the end of the tracking pass.
    """

    _inherit = "collection.case"

    def _message_track(self, fields_iter, initial_values_dict):
        if len(self) < 2 or _TRACKING_LOGS in self.env.cr.precommit.data:
            return super()._message_track(fields_iter, initial_values_dict)
        self.env.cr.precommit.data[_TRACKING_LOGS] = []
        try:
            tracking = super(CollectionCase, self.with_context(collection_batch_tracking=True))._message_track(
                fields_iter, initial_values_dict
            )
        finally:
            values_list = self.env.cr.precommit.data.pop(_TRACKING_LOGS, [])
        if values_list:
            self._create_tracking_logs(values_list)
        return tracking

    def _create_tracking_logs(self, values_list):
        """Create the messages, then all their tracking values in one create (as mail.message's
        create does message by message)."""
        commands = [values.get("tracking_value_ids") or [] for values in values_list]
        if not all(len(cmd) == 3 and cmd[0] == 0 for cmds in commands for cmd in cmds):
            return self.sudo()._message_create(values_list)
        messages = self.sudo()._message_create(
            [{key: value for key, value in values.items() if key != "tracking_value_ids"} for values in values_list]
        )
        self.env["mail.tracking.value"].sudo().create(
            [
                dict(cmd[2], mail_message_id=message.id)
                for message, cmds in zip(messages, commands, strict=True)
                for cmd in cmds
            ]
        )
        return messages

    def _message_log_batch(self, bodies, *args, **kwargs):
        if self.env.context.get("collection_batch_tracking"):
            self = self.with_context(collection_batch_tracking=False, collection_tracking_log=True)
        return super()._message_log_batch(bodies, *args, **kwargs)

    def _message_create(self, values_list):
        logs = self.env.cr.precommit.data.get(_TRACKING_LOGS)
        if self.env.context.get("collection_tracking_log") and logs is not None:
            # the values of a tracking log: created with the others by _message_track
            logs.extend(values_list)
            return self.env["mail.message"]
        return super()._message_create(values_list)
