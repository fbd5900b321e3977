from datetime import timedelta

from odoo import fields, models

from odoo.addons.account_collections.engine.run import empty_counts


class CollectionPromise(models.Model):
    _inherit = "collection.promise"

    sms_reminder_sent = fields.Boolean(
        string="SMS Reminder Sent", readonly=True, copy=False, help="The customer was reminded of the date by SMS."
    )

    def _send_sms_reminders(self, today):
        """SMS the customers of open promises coming due within the company's reminder lead time
        (the payment plan setting), once per promise, under the engine's guards."""
        template = self.env.ref("account_collections_sms.sms_template_promise_reminder", raise_if_not_found=False)
        promises = self.filtered(
            lambda p: p.state == "open"
            and not p.sms_reminder_sent
            and p.company_id.collection_plan_reminder_days
            and today < p.promised_date <= today + timedelta(days=p.company_id.collection_plan_reminder_days)
        )
        if not template or not promises:
            return
        cases = promises.case_id
        deferred = self.env["collection.engine"]._contact_guards(cases, fields.Datetime.now(), today)
        promises = promises.filtered(lambda p: p.case_id not in deferred)  # retried at the next run
        if not promises:
            return
        rendered, errors = template._collection_render_isolated(
            promises, lambda group: template._render_field("body", group.ids, compute_lang=True)
        )
        bodies = {promise.case_id.id: rendered[promise.id] for promise in promises if promise.id in rendered}
        case_errors = {promise.case_id.id: errors[promise.id] for promise in promises if promise.id in errors}
        counts = empty_counts()
        events = promises.case_id._send_collection_sms(
            template, counts, bodies=bodies, errors=case_errors, label=self.env._("Promise reminder")
        )
        self.env["collection.event"].sudo().create(events)
        # a reminder the template failed on is tried again at the next run
        promises.filtered(lambda p: p.id not in errors).write({"sms_reminder_sent": True})
