from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.tools import GROUP_USER, check_group

from ..models.collection_agency_placement_import import IMPORT_COLUMNS, AgencyImportError


class CollectionAgencyImportWizard(models.TransientModel):
    """Upload the agency's status and remittance file of a placement; shows the report of a rejected file."""

    _name = "collection.agency.import.wizard"
    _description = "Import Agency Status File"

    placement_id = fields.Many2one("collection.agency.placement", required=True, readonly=True, ondelete="cascade")
    agency_id = fields.Many2one(related="placement_id.agency_id")
    file = fields.Binary(string="Status File", required=True)
    filename = fields.Char()
    error_report = fields.Html(readonly=True, sanitize=True)
    columns_help = fields.Char(default=lambda self: ", ".join(IMPORT_COLUMNS), readonly=True)

    def action_import(self):
        check_group(self.env, GROUP_USER, self.env._("import an agency status file"))
        self.ensure_one()
        self.placement_id._import_check_open()
        if not self.file:
            raise UserError(
                self.env._(
                    "Choose the agency's status file to import on placement %(placement)s.",
                    placement=self.placement_id.name,
                )
            )
        try:
            with self.env.cr.savepoint():
                result = self.placement_id.import_file(self.file, self.filename or "")
        except AgencyImportError as error:
            self.error_report = self._render_report(error)
            return {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": self.id,
                "view_mode": "form",
                "target": "new",
                "name": self.env._("Import Agency Status File"),
            }
        if result["applied"]:
            message = self.env._("%(count)s line(s) of %(file)s applied.", count=result["applied"], file=self.filename)
        else:
            message = self.env._("Nothing to apply: %(file)s was already imported.", file=self.filename)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.placement_id.name,
                "message": message,
                "type": "success" if result["applied"] else "info",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _render_report(self, error):
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>")
            % (line["line"], line["column"], line["value"], line["message"])
            for line in error.errors
        )
        return Markup(
            "<p>%s</p><table class='table table-sm o_agency_import_errors'>"
            "<thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
        ) % (
            self.env._("The file was rejected and nothing was imported. Correct these lines and import it again:"),
            self.env._("Line"),
            self.env._("Column"),
            self.env._("Value"),
            self.env._("Problem"),
            rows,
        )
