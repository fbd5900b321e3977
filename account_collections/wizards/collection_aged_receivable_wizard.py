import base64
import io

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.collection_aged_receivable import AGING_BUCKETS
from ..tools import GROUP_USER, check_group


class CollectionAgedReceivableWizard(models.TransientModel):
    """Choose the as-of date and companies of the aged receivables, then analyse or export them."""

    _name = "collection.aged.receivable.wizard"
    _description = "Aged Receivables Options"

    date = fields.Date(string="As of", required=True, default=fields.Date.context_today)
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )

    @api.model
    def _bucket_labels(self):
        labels = dict(self.env["collection.aged.receivable"]._fields["aging_bucket"]._description_selection(self.env))
        return [(code, labels[code]) for code, _label, _first, _last in AGING_BUCKETS]

    def _check_options(self):
        self.ensure_one()
        if self.date > fields.Date.context_today(self):
            raise UserError(
                self.env._("Aged receivables: %(date)s is in the future; choose today or a past date.", date=self.date)
            )
        self.env["collection.aged.receivable"]._check_aging_companies(self.company_ids.ids)

    def action_open(self):
        """The pivot and graph of the open items on the chosen date."""
        check_group(self.env, GROUP_USER, self.env._("read the aged receivables"))
        self._check_options()
        date_label = fields.Date.to_string(self.date)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Aged Receivables as of %s", date_label),
            "res_model": "collection.aged.receivable",
            "view_mode": "pivot,graph,list",
            "views": [(False, "pivot"), (False, "graph"), (False, "list")],
            "domain": [("company_id", "in", self.company_ids.ids)],
            "context": {"aging_date": date_label},
            "target": "current",
        }

    def _sections(self):
        """Per company: its currency and the partner rows of the aging, largest total first."""
        self.ensure_one()
        rows = self.env["collection.aged.receivable"]._partner_aging(self.date, self.company_ids)
        sections = []
        for company in self.company_ids.sorted("name"):
            lines = rows.get(company.id, [])
            totals = {code: sum(line[code] for line in lines) for code, _label, _first, _last in AGING_BUCKETS}
            totals["total"] = sum(line["total"] for line in lines)
            sections.append({"company": company, "currency": company.currency_id, "lines": lines, "totals": totals})
        return sections

    def action_print_pdf(self):
        check_group(self.env, GROUP_USER, self.env._("print the aged receivables"))
        self._check_options()
        return self.env.ref("account_collections.action_report_aged_receivable").report_action(self, config=False)

    def _xlsx_content(self):
        """The workbook: one sheet per company, a row per customer, a column per bucket, totals last."""
        self.ensure_one()
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        buckets = self._bucket_labels()
        used_names = set()
        for section in self._sections():
            company, currency = section["company"], section["currency"]
            # sheet names: at most 31 characters, unique, without []:*?/\
            name = "".join(char for char in company.name if char not in "[]:*?/\\")[:28] or str(company.id)
            while name.lower() in used_names:
                name = f"{name[:25]}-{company.id}"
            used_names.add(name.lower())
            sheet = workbook.add_worksheet(name)
            money = workbook.add_format({"num_format": "#,##0." + "0" * currency.decimal_places})
            money_bold = workbook.add_format({"bold": True, "num_format": "#,##0." + "0" * currency.decimal_places})
            sheet.write(0, 0, self.env._("Aged Receivables as of %s", fields.Date.to_string(self.date)), bold)
            sheet.write(1, 0, f"{company.name} ({currency.name})")
            header = [self.env._("Customer")] + [label for _code, label in buckets] + [self.env._("Total")]
            sheet.write_row(3, 0, header, bold)
            row = 4
            for line in section["lines"]:
                # write_string: a customer name is never read as a formula
                sheet.write_string(row, 0, line["partner"] or self.env._("(no customer)"))
                for column, (code, _label) in enumerate(buckets, start=1):
                    sheet.write_number(row, column, line[code], money)
                sheet.write_number(row, len(buckets) + 1, line["total"], money)
                row += 1
            sheet.write(row, 0, self.env._("Total"), bold)
            for column, (code, _label) in enumerate(buckets, start=1):
                sheet.write_number(row, column, section["totals"][code], money_bold)
            sheet.write_number(row, len(buckets) + 1, section["totals"]["total"], money_bold)
            sheet.set_column(0, 0, 40)
            sheet.set_column(1, len(buckets) + 1, 14)
        workbook.close()
        return output.getvalue()

    def action_export_xlsx(self):
        """Download the aging as an Excel workbook (stored as an attachment of this wizard)."""
        check_group(self.env, GROUP_USER, self.env._("export the aged receivables"))
        self._check_options()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"aged_receivables_{fields.Date.to_string(self.date)}.xlsx",
                "datas": base64.b64encode(self._xlsx_content()),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }
