from odoo import fields, models


class CollectionCase(models.Model):
    """The company's working days on a case: the collectors' activities fall on them."""

    _inherit = "collection.case"

    def activity_schedule(self, act_type_xmlid="", date_deadline=None, summary="", note="", **act_values):
        """Odoo's ``activity_schedule``; a due date on a weekend or a public holiday of the case's
        company moves to its next working day (the company's calendar, see ``engine/working_days.py``)."""
        if self.env.context.get("mail_activity_automation_skip") or not self:
            return super().activity_schedule(act_type_xmlid, date_deadline, summary, note, **act_values)
        day = fields.Date.to_date(date_deadline) if date_deadline else fields.Date.context_today(self)
        deadlines = self.env["collection.engine"]._working_deadlines({(case.company_id, day) for case in self})
        activities = self.env["mail.activity"]
        for deadline in sorted(set(deadlines.values())):
            cases = self.filtered(lambda case, deadline=deadline: deadlines[(case.company_id, day)] == deadline)
            activities |= super(CollectionCase, cases).activity_schedule(
                act_type_xmlid, deadline, summary, note, **act_values
            )
        return activities
