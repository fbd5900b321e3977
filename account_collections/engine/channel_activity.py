from odoo import fields


class ActivityChannel:
    """Channel: the level's activity for the collector (a call is a contact: not for customers
    who opted out of calls)."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _run_activity(self, run, level, cases):
        """Schedule the level's activity on each case for its collector, who follows the case.

        The collectors find the activities in their queue: no assignment email per activity.
        """
        if not level.create_activity:
            return []
        events = []
        if level.activity_type_id.category == "phonecall":
            cases, events = self._contact_split(run, "call", level, cases)
        if not cases:
            return events
        users = {case: case.user_id or case.partner_id.collection_user_id or self.env.user for case in cases}
        model_id = self.env["ir.model"]._get_id(cases._name)
        # quick update: no assignment email; mail.activity's create makes each collector follow
        # their cases (message_subscribe, one call per collector)
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "activity_type_id": level.activity_type_id.id,
                    "summary": level.activity_summary or level.name,
                    "note": level.activity_type_id.default_note,
                    "date_deadline": run.today,
                    "user_id": users[case].id,
                    "automated": True,
                }
                for case in cases
            ]
        )
        if run.today <= fields.Date.today():
            run.activity_users.update(user.id for user in users.values())
        return events

    def _notify_activity_users(self, run):
        """Refresh the activity counter of the collectors given activities, once per transaction."""
        if run.activity_users:
            self.env["res.users"].browse(run.activity_users)._bus_send(
                "mail.activity/updated", {"activity_created": True}
            )
            run.activity_users = set()
