import base64
import csv
import io
import json
import re

import xlsxwriter

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_repr

from odoo.addons.account_collections.tools import GROUP_USER, check_group

from .collection_agency_placement_import import PlacementStatusImport
from .collection_agency_placement_line import ACTIVE_LINE_STATUSES

# a spreadsheet evaluates a text cell starting with one of these as a formula (CSV/formula injection)
FORMULA_TRIGGERS = ("=", "+", "-", "@")
# control characters a spreadsheet may drop before it reads the cell
CONTROL_TRIGGERS = ("\t", "\r", "\n")
# a trigger after a separator a spreadsheet may split a CSV line on (ours "," and the ";" of
# European locales), blanks allowed: the start of a cell for a reader that splits there
TRIGGER_AFTER_SEPARATOR = re.compile(r"[,;]\s*[=+\-@]")
EXPORT_MIMETYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise_cell(value):
    """Make a CSV text cell inert in spreadsheets: a leading apostrophe when its first non-blank
    character is a formula trigger, when it starts with a control character, or when a separator
    followed by a trigger would start a formula in a reader that splits the cell there.

    Only for CSV, where every cell is text: XLSX and JSON cells are typed and stay as they are.
    Numbers are returned unchanged (a negative amount stays a number)."""
    if not isinstance(value, str) or not value:
        return value
    if (
        value.startswith(CONTROL_TRIGGERS)
        or value.lstrip().startswith(FORMULA_TRIGGERS)
        or TRIGGER_AFTER_SEPARATOR.search(value)
    ):
        return "'" + value
    return value


class CollectionAgencyPlacement(PlacementStatusImport, models.Model):
    """One handover batch: the invoices of one or more cases sent to an agency in one file."""

    _name = "collection.agency.placement"
    _description = "Collection Agency Placement"
    _inherit = ["collection.workflow.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    # set by the actions and the agency's status imports only
    _workflow_fields = {"state": ("action_send", "action_acknowledge", "action_close", "import_file")}

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    agency_id = fields.Many2one(
        "collection.agency", required=True, index=True, tracking=True, check_company=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="agency_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    date = fields.Date(default=fields.Date.context_today, required=True, tracking=True)
    line_ids = fields.One2many("collection.agency.placement.line", "placement_id", string="Placed Invoices")
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("acknowledged", "Acknowledged"), ("closed", "Closed")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    attachment_id = fields.Many2one("ir.attachment", string="Placement File", readonly=True, copy=False)
    file_data = fields.Binary(related="attachment_id.datas", string="File")
    file_name = fields.Char(related="attachment_id.name", string="File Name")
    amount_placed = fields.Monetary(compute="_compute_amounts", store=True, help="In company currency.")
    amount_recovered = fields.Monetary(compute="_compute_amounts", store=True, help="In company currency.")
    commission = fields.Monetary(compute="_compute_amounts", store=True, help="In company currency.")
    case_ids = fields.Many2many("collection.case", string="Cases", compute="_compute_case_ids")
    case_count = fields.Integer(compute="_compute_case_ids")
    line_count = fields.Integer(compute="_compute_line_count")
    note = fields.Text(string="Internal Note")
    import_ids = fields.One2many("collection.agency.import", "placement_id", string="Status Imports", readonly=True)
    import_count = fields.Integer(compute="_compute_import_count")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("collection.agency.placement") or "/"
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_placed(self):
        placed = self.filtered(lambda p: p.line_ids.filtered("is_open"))
        if placed:
            raise UserError(
                self.env._(
                    "Placement %(names)s still has invoices at the agency: recall them before deleting it.",
                    names=", ".join(placed.mapped("name")),
                )
            )

    @api.depends("line_ids.amount_placed_company", "line_ids.amount_recovered_company", "line_ids.commission_company")
    def _compute_amounts(self):
        for placement in self:
            lines = placement.line_ids
            placement.amount_placed = sum(lines.mapped("amount_placed_company"))
            placement.amount_recovered = sum(lines.mapped("amount_recovered_company"))
            placement.commission = sum(lines.mapped("commission_company"))

    @api.depends("line_ids.case_id")
    def _compute_case_ids(self):
        for placement in self:
            placement.case_ids = placement.line_ids.case_id
            placement.case_count = len(placement.case_ids)

    @api.depends("line_ids")
    def _compute_line_count(self):
        for placement in self:
            placement.line_count = len(placement.line_ids)

    @api.depends("import_ids")
    def _compute_import_count(self):
        for placement in self:
            placement.import_count = len(placement.import_ids)

    # ------------------------------------------------------------------ handover
    @api.model
    def _check_cases_placeable(self, cases, agency=None):
        """Refuse cases that are closed, of another company or still placed with an agency."""
        closed = cases.filtered(lambda c: c.state != "open")
        if closed:
            raise UserError(
                self.env._(
                    "Only open cases can be handed over to an agency; these are closed: %(cases)s.",
                    cases=", ".join(closed.mapped("display_name")),
                )
            )
        if agency:
            foreign = cases.filtered(lambda c: c.company_id != agency.company_id)
            if foreign:
                raise UserError(
                    self.env._(
                        "Agency %(agency)s works for %(company)s; these cases belong to another company: %(cases)s.",
                        agency=agency.name,
                        company=agency.company_id.name,
                        cases=", ".join(foreign.mapped("display_name")),
                    )
                )
        placed = self.env["collection.agency.placement.line"].search(
            [("case_id", "in", cases.ids), ("is_open", "=", True)]
        )
        if placed:
            raise UserError(
                self.env._(
                    "These cases are already placed with an agency: %(cases)s. "
                    "Recall them from the agency first to place them again.",
                    cases=", ".join(
                        f"{case.display_name} ({', '.join(lines.agency_id.mapped('name'))}, "
                        f"{', '.join(lines.placement_id.mapped('name'))})"
                        for case, lines in placed.grouped("case_id").items()
                    ),
                )
            )

    @api.model
    def _handover_candidates(self, cases):
        """Open customer invoices of the cases that can be handed over, oldest first."""
        return self.env["account.move"].search(
            [
                ("collection_case_id", "in", cases.ids),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("payment_state", "not in", ("paid", "in_payment", "reversed")),
                ("amount_residual", ">", 0),
            ],
            order="invoice_date_due, id",
        )

    @api.model
    def _handover_warnings(self, invoices):
        """Why each invoice should not go to the agency: ``{invoice: [(code, message)]}``.

        ``time_barred`` can never be placed; the other warnings exclude the invoice by default."""
        today = fields.Date.context_today(self)
        warnings = {invoice: [] for invoice in invoices}
        for invoice in invoices.filtered("time_barred"):
            warnings[invoice].append(
                (
                    "time_barred",
                    self.env._("Time-barred: the statute of limitations has run out, it can no longer be claimed."),
                )
            )
        disputes = self.env["collection.dispute"].search([("invoice_id", "in", invoices.ids), ("state", "=", "open")])
        for dispute in disputes:
            warnings[dispute.invoice_id].append(
                ("disputed", self.env._("Disputed by the customer (%(dispute)s).", dispute=dispute.display_name))
            )
        promises = self.env["collection.promise"].search([("invoice_ids", "in", invoices.ids), ("state", "=", "open")])
        for promise in promises:
            for invoice in promise.invoice_ids & invoices:
                warnings[invoice].append(
                    (
                        "promise",
                        self.env._(
                            "Covered by an open promise to pay by %(date)s.",
                            date=fields.Date.to_string(promise.promised_date),
                        ),
                    )
                )
        plans = self.env["collection.payment.plan"].search(
            [("invoice_ids", "in", invoices.ids), ("state", "=", "active")]
        )
        for plan in plans:
            for invoice in plan.invoice_ids & invoices:
                warnings[invoice].append(
                    ("plan", self.env._("Covered by the active payment plan %(plan)s.", plan=plan.display_name))
                )
        for invoice in invoices.filtered("collection_blocked"):
            warnings[invoice].append(
                (
                    "blocked",
                    self.env._("Excluded from dunning: %(reason)s", reason=invoice.collection_blocked_reason or ""),
                )
            )
        for invoice in invoices.filtered(lambda m: m.invoice_date_due and m.invoice_date_due > today):
            warnings[invoice].append(("not_due", self.env._("Not due yet.")))
        return warnings

    @api.model
    def _handover_preview(self, cases):
        """What a handover of the cases would place: one dict per open invoice, with its warnings."""
        invoices = self._handover_candidates(cases)
        warnings = self._handover_warnings(invoices)
        preview = []
        for invoice in invoices:
            invoice_warnings = warnings[invoice]
            preview.append(
                {
                    "case_id": invoice.collection_case_id.id,
                    "invoice_id": invoice.id,
                    "amount_placed": invoice.amount_residual,
                    "warning": invoice_warnings[0][0] if invoice_warnings else False,
                    "warning_message": " ".join(message for __, message in invoice_warnings),
                    "include": not invoice_warnings,
                }
            )
        return preview

    @api.model
    def _create_from_cases(self, agency, invoices, send=False):
        """Hand the invoices over to the agency: one placement, cases moved to the agency (or legal)
        stage, out of internal dunning, one event per case, placement file generated (and sent).

        :param agency: ``collection.agency`` record
        :param invoices: the ``account.move`` invoices to place (of open cases)
        :param send: email the placement file to the agency right away
        :return: the new placement
        """
        agency.ensure_one()
        cases = invoices.collection_case_id
        if not invoices:
            raise UserError(self.env._("Select at least one invoice to hand over to %(agency)s.", agency=agency.name))
        orphans = invoices.filtered(lambda m: not m.collection_case_id)
        if orphans:
            raise UserError(
                self.env._(
                    "Only invoices of a collection case can be handed over to an agency: %(invoices)s.",
                    invoices=", ".join(orphans.mapped("display_name")),
                )
            )
        self._check_cases_placeable(cases, agency)
        candidates = self._handover_candidates(cases)
        not_open = invoices - candidates
        if not_open:
            raise UserError(
                self.env._(
                    "These invoices have nothing left to collect and cannot be placed: %(invoices)s.",
                    invoices=", ".join(not_open.mapped("display_name")),
                )
            )
        barred = invoices.filtered("time_barred")
        if barred:
            raise ValidationError(
                self.env._(
                    "These invoices are time-barred: the statute of limitations has run out, so the debt can no "
                    "longer be claimed and must not be handed to an agency: %(invoices)s. Remove them from the "
                    "handover (write them off instead).",
                    invoices=", ".join(barred.mapped("display_name")),
                )
            )
        placement = self.create(
            {
                "agency_id": agency.id,
                "line_ids": [
                    Command.create(
                        {
                            "case_id": invoice.collection_case_id.id,
                            "invoice_id": invoice.id,
                            "amount_placed": invoice.amount_residual,
                        }
                    )
                    for invoice in invoices
                ],
            }
        )
        if agency.agency_type == "legal":
            # a law firm gets the core legal handover: legal stage, legal file PDF, logged
            cases._legal_handover(
                agency.partner_id,
                note=self.env._(
                    "Placement %(placement)s with %(agency)s", placement=placement.name, agency=agency.name
                ),
            )
        else:
            cases._move_to_stage(
                "agency",
                self.env._("Handed over to %(agency)s (%(placement)s)", agency=agency.name, placement=placement.name),
            )
        placement._generate_file()
        cases._log_agency_event(
            placement,
            self.env._("Placed with %(agency)s (%(placement)s)", agency=agency.name, placement=placement.name),
        )
        if send:
            placement.action_send()
        return placement

    # ------------------------------------------------------------------ placement file
    def _file_columns(self):
        """Codes of the columns sent to the agency, in the documented order."""
        self.ensure_one()
        return self.agency_id.include_fields.sorted(lambda c: (c.sequence, c.id)).mapped("code")

    def _line_values(self, line):
        """Every documented column of one placed invoice: text (ISO dates), numbers or False."""
        invoice = line.invoice_id
        case = line.case_id
        debtor = case.partner_id or invoice.commercial_partner_id
        contact = invoice.partner_id
        currency = line.currency_id
        return {
            "placement_ref": line.placement_id.name,
            "case_ref": case.name or "",
            "invoice_number": invoice.name,
            "invoice_date": fields.Date.to_string(invoice.invoice_date) or "",
            "due_date": fields.Date.to_string(invoice.invoice_date_due) or "",
            "currency": currency.name,
            "amount_original": currency.round(invoice.amount_total),
            "amount_placed": currency.round(line.amount_placed),
            "debtor_name": debtor.name or "",
            "debtor_vat": debtor.vat or "",
            "debtor_street": ", ".join(filter(None, [debtor.street, debtor.street2])),
            "debtor_zip": debtor.zip or "",
            "debtor_city": debtor.city or "",
            "debtor_country": debtor.country_id.code or "",
            "debtor_email": contact.email or debtor.email or "",
            "debtor_phone": contact.phone or contact.mobile or debtor.phone or debtor.mobile or "",
            "last_contact_date": fields.Date.to_string(case.last_action_date) or "",
            "dunning_level": case.level_id.name or "",
        }

    def _file_rows(self):
        """Header and rows of the placement file: allowed columns only, values as they are."""
        self.ensure_one()
        columns = self._file_columns()
        rows = []
        for line in self.line_ids.filtered(lambda line: line.status != "recalled"):
            values = self._line_values(line)
            rows.append([values[code] for code in columns])
        return columns, rows

    def _render_file(self):
        """The placement file content (bytes) in the agency's format."""
        self.ensure_one()
        columns, rows = self._file_rows()
        file_format = self.agency_id.export_format
        if file_format == "json":
            content = json.dumps([dict(zip(columns, row, strict=True)) for row in rows], ensure_ascii=False, indent=1)
            return content.encode("utf-8")
        if file_format == "xlsx":
            buffer = io.BytesIO()
            workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
            sheet = workbook.add_worksheet(self.env._("Placement"))
            bold = workbook.add_format({"bold": True})
            for col, code in enumerate(columns):
                sheet.write_string(0, col, code, bold)
            for row_index, row in enumerate(rows, start=1):
                for col, value in enumerate(row):
                    if isinstance(value, float | int) and not isinstance(value, bool):
                        sheet.write_number(row_index, col, value)
                    else:
                        sheet.write_string(row_index, col, value or "")
            workbook.close()
            return buffer.getvalue()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        lines = self.line_ids.filtered(lambda line: line.status != "recalled")
        for line, row in zip(lines, rows, strict=True):
            decimals = line.currency_id.decimal_places
            writer.writerow(
                [float_repr(value, decimals) if isinstance(value, float) else neutralise_cell(value) for value in row]
            )
        return buffer.getvalue().encode("utf-8")

    def _generate_file(self):
        """(Re)generate the placement file of each placement and attach it; returns the attachments.

        The file of a placement that was sent stays attached as it was sent (the agency has that
        copy); the new file becomes the placement's file beside it. A draft's file is replaced."""
        attachments = self.env["ir.attachment"]
        for placement in self:
            if not placement.line_ids:
                raise UserError(
                    self.env._("Placement %(name)s has no invoice: there is nothing to send.", name=placement.name)
                )
            file_format = placement.agency_id.export_format
            old = placement.attachment_id
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{placement.name.replace('/', '-')}.{file_format}",
                    "datas": base64.b64encode(placement._render_file()),
                    "mimetype": EXPORT_MIMETYPES[file_format],
                    "res_model": placement._name,
                    "res_id": placement.id,
                }
            )
            placement.attachment_id = attachment
            if old and placement.state == "draft":
                old.unlink()
            elif old:
                placement.message_post(
                    body=self.env._(
                        "Placement file regenerated as %(file)s; the file sent to the agency is kept.",
                        file=attachment.name,
                    )
                )
            attachments |= attachment
        return attachments

    def action_generate_file(self):
        check_group(self.env, GROUP_USER, self.env._("generate a placement file"))
        self._generate_file()
        return True

    def action_send(self):
        """Email the placement file to the agency contact with the agency's template; state sent."""
        check_group(self.env, GROUP_USER, self.env._("send a placement"))
        for placement in self:
            if placement.state == "closed":
                raise UserError(self.env._("Placement %(name)s is closed: it cannot be sent.", name=placement.name))
            contact = placement.agency_id.partner_id
            if not contact.email:
                raise UserError(
                    self.env._(
                        "The contact %(contact)s of agency %(agency)s has no email address: add one to send "
                        "placement %(name)s.",
                        contact=contact.display_name,
                        agency=placement.agency_id.name,
                        name=placement.name,
                    )
                )
        for placement in self:
            if not placement.attachment_id:
                placement._generate_file()
            template = placement.agency_id.mail_template_id or self.env.ref(
                "account_collections_agency.mail_template_placement"
            )
            mail_id = template.send_mail(
                placement.id, email_values={"attachment_ids": [(4, placement.attachment_id.id)]}
            )
            placement.message_post(
                body=self.env._(
                    "Placement file %(file)s emailed to %(contact)s.",
                    file=placement.attachment_id.name,
                    contact=placement.agency_id.partner_id.display_name,
                ),
                attachment_ids=placement.attachment_id.ids,
            )
            placement.line_ids.case_id._log_agency_event(
                placement,
                self.env._(
                    "Placement %(name)s sent to %(agency)s", name=placement.name, agency=placement.agency_id.name
                ),
                mail_mail_id=mail_id,
            )
        self.filtered(lambda p: p.state == "draft")._write_workflow({"state": "sent"})
        return True

    # ------------------------------------------------------------------ actions
    def action_acknowledge(self):
        check_group(self.env, GROUP_USER, self.env._("acknowledge a placement"))
        wrong = self.filtered(lambda p: p.state != "sent")
        if wrong:
            raise UserError(
                self.env._(
                    "Only sent placements can be acknowledged by the agency: %(names)s.",
                    names=", ".join(wrong.mapped("name")),
                )
            )
        self._write_workflow({"state": "acknowledged"})
        return True

    def action_close(self):
        """Close placements whose lines the agency no longer works (paid, uncollectible, recalled...).

        Lines still placed, in progress or promised must be settled or recalled first."""
        check_group(self.env, GROUP_USER, self.env._("close a placement"))
        for placement in self:
            if placement.state == "closed":
                continue
            active = placement.line_ids.filtered(lambda line: line.status in ACTIVE_LINE_STATUSES)
            if active:
                raise UserError(
                    self.env._(
                        "Placement %(name)s still has %(count)s invoice(s) the agency is working on "
                        "(%(invoices)s): import their final status or recall them before closing.",
                        name=placement.name,
                        count=len(active),
                        invoices=", ".join(active.invoice_id.mapped("name")),
                    )
                )
        self._write_workflow({"state": "closed"})
        return True

    def action_recall(self):
        """Open the recall wizard on the open lines of the placement."""
        check_group(self.env, GROUP_USER, self.env._("recall a placement"))
        return self.line_ids.action_recall()

    def action_view_cases(self):
        check_group(self.env, GROUP_USER, self.env._("view the cases of a placement"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_case")
        action["domain"] = [("id", "in", self.case_ids.ids)]
        action["context"] = {}
        return action

    def action_view_lines(self):
        check_group(self.env, GROUP_USER, self.env._("view the invoices of a placement"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections_agency.action_collection_agency_placement_line"
        )
        action["domain"] = [("placement_id", "=", self.id)]
        return action
