from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import GROUP_USER, check_group


class CollectionCase(models.Model):
    """Handover of a case to a lawyer or a court: the legal stage, the legal file and the costs.

    ``_legal_handover(partner, note)`` is the entry point; other addons (e.g. agencies of type
    legal) call it to hand a case over the same way.
    """

    _inherit = "collection.case"

    legal_partner_id = fields.Many2one(
        "res.partner", string="Lawyer / Court", readonly=True, tracking=True, help="Who the case was handed over to."
    )
    legal_date = fields.Date(string="Handed Over On", readonly=True)
    legal_note = fields.Text(string="Handover Note", readonly=True)
    legal_file_id = fields.Many2one("ir.attachment", string="Legal File", readonly=True, copy=False)
    legal_cost_ids = fields.One2many("collection.legal.cost", "case_id", string="Legal Costs")
    legal_cost_total = fields.Monetary(
        string="Total Legal Costs",
        compute="_compute_legal_cost_total",
        help="In the case's currency (costs in other currencies converted at their date).",
    )
    legal_cost_recharge_total = fields.Monetary(
        string="To Recharge", compute="_compute_legal_cost_total", help="Part of the legal costs claimed back."
    )

    @api.depends(
        "legal_cost_ids.amount", "legal_cost_ids.currency_id", "legal_cost_ids.date", "legal_cost_ids.recharge"
    )
    def _compute_legal_cost_total(self):
        for case in self:
            total = recharge = 0.0
            for cost in case.legal_cost_ids:
                amount = cost.currency_id._convert(cost.amount, case.currency_id, case.company_id, cost.date)
                total += amount
                recharge += amount if cost.recharge else 0.0
            case.legal_cost_total = total
            case.legal_cost_recharge_total = recharge

    # ------------------------------------------------------------------ actions
    def action_legal_handover(self):
        """Case form button: hand the case over to a lawyer or a court (wizard)."""
        check_group(self.env, GROUP_USER, self.env._("hand a case over to legal"))
        self.ensure_one()
        self._check_legal_handover()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_legal_handover")
        action["context"] = {"default_case_id": self.id}
        return action

    def action_print_legal_file(self):
        check_group(self.env, GROUP_USER, self.env._("print the legal file of a case"))
        self.ensure_one()
        return self.env.ref("account_collections.action_report_collection_legal_file").report_action(self)

    # ------------------------------------------------------------------ handover
    def _check_legal_handover(self):
        """Only open cases, and never a time-barred debt: it may only be paid voluntarily."""
        for case in self:
            if case.state != "open":
                raise UserError(
                    self.env._(
                        "Case %(case)s is closed: there is nothing left to claim in court.", case=case.display_name
                    )
                )
            barred = case.open_invoice_ids.filtered("time_barred")
            if barred:
                raise UserError(
                    self.env._(
                        "Case %(case)s cannot be handed over to a lawyer or a court: %(invoices)s are time-barred "
                        "(due more than %(years)s years ago, the statute of limitations of %(company)s). "
                        "A time-barred debt may only be collected by voluntary payment: write these invoices off "
                        "(reason Time-barred) or leave them to the customer's goodwill, then hand the case over.",
                        case=case.display_name,
                        invoices=", ".join(barred.mapped("name")),
                        years=case.company_id.collection_limitation_years,
                        company=case.company_id.name,
                    )
                )

    def _legal_handover(self, partner, note=None):
        """Hand the cases over to ``partner`` (lawyer or court): legal stage (internal dunning
        stops), one logged event per case with the legal file PDF attached to it and to the case.

        :return: the legal file attachments
        """
        self._check_legal_handover()
        today = self._collection_today()
        self._write_workflow({"legal_partner_id": partner.id, "legal_date": today, "legal_note": note or False})
        self._move_to_stage("legal", reason=self.env._("Handed over to %s: internal dunning stops", partner.name))
        attachments = self.env["ir.attachment"]
        for case in self:
            attachment = case._attach_legal_file()
            case._write_workflow({"legal_file_id": attachment.id})
            self.env["collection.event"].sudo().create(
                case._event_vals(
                    self.env._("Legal file sent to %s", partner.name),
                    note=note or False,
                    attachment_id=attachment.id,
                    invoice_ids=[(6, 0, case.open_invoice_ids.ids)],
                )
            )
            case.message_post(body=self.env._("Case handed over to %s.", partner.name), attachment_ids=attachment.ids)
            attachments |= attachment
        return attachments

    def _attach_legal_file(self):
        """Render the legal file of the case (one case per PDF) and attach it to the case."""
        self.ensure_one()
        report = self.env.ref("account_collections.action_report_collection_legal_file")
        content, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, res_ids=self.ids)
        return self.env["ir.attachment"].create(
            {
                "name": self.env._("Legal file %(case)s %(date)s.pdf", case=self.name, date=self._collection_today()),
                "raw": content,
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _legal_file_data(self):
        """What the legal file shows, in one place (the report template reads it)."""
        self.ensure_one()
        invoices = self.open_invoice_ids
        events = self.event_ids.sorted(lambda e: (e.date, e.id))
        terms = []
        for invoice in invoices:
            for text in (invoice.invoice_payment_term_id.note, invoice.narration):
                if text and text not in terms:
                    terms.append(text)
        return {
            "invoices": invoices,
            "events": events,
            "terms": terms,
            "costs": self.legal_cost_ids.sorted(lambda c: (c.date, c.id)),
            "today": self._collection_today(),
        }
