from odoo import models

from odoo.addons.account_collections.engine.run import empty_counts


class CollectionPaymentPlan(models.Model):
    _inherit = "collection.payment.plan"

    def _send_installment_reminders(self, lines):
        """Remind installments by SMS too, under the same guards as the email."""
        events = super()._send_installment_reminders(lines)
        template = self.env.ref("account_collections_sms.sms_template_installment_reminder", raise_if_not_found=False)
        reminded = lines.filtered("reminder_sent")
        if not template or not reminded:
            return events
        rendered, errors = template._collection_render_isolated(
            reminded, lambda group: template._render_field("body", group.ids, compute_lang=True)
        )
        # one SMS per case and run: the earliest installment coming due (or why it failed to render)
        bodies, case_errors = {}, {}
        for line in reminded.sorted("due_date", reverse=True):
            case_id = line.plan_id.case_id.id
            bodies.pop(case_id, None)
            case_errors.pop(case_id, None)
            if line.id in rendered:
                bodies[case_id] = rendered[line.id]
            else:
                case_errors[case_id] = errors[line.id]
        cases = reminded.plan_id.case_id
        counts = empty_counts()
        sms_events = cases._send_collection_sms(
            template, counts, bodies=bodies, errors=case_errors, label=self.env._("Installment reminder")
        )
        self.env["collection.event"].sudo().create(sms_events)
        return events + sms_events
