import base64
import csv
import io
from urllib.parse import urlencode

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import format_amount

from odoo.addons.account_collections.tools.upload import read_upload, upload_max_bytes, upload_max_rows
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.collection_agency_placement_import import AGENCY_STATUSES, IMPORT_COLUMNS, AgencyImportError

PLACEMENTS_PER_PAGE = 20
PORTAL_REPORTED_ERRORS = 50
# ids are PostgreSQL integers: a larger id in the URL is no placement (and no database error)
MAX_RECORD_ID = 2**31 - 1


class AgencyPortal(CustomerPortal):
    """Agency staff (portal users linked to an agency) follow their placements and report back.

    Agency users have no access to the placement models (over RPC they would read every field,
    the internal note and the debtors' names included): these pages are their only way in. The
    placements are searched with sudo, restricted by the domain to the sent placements of the
    user's own agencies, and the pages show only what the agency may see. A placement of another
    agency answers 404, like one that does not exist.
    """

    # ------------------------------------------------------------------ helpers
    def _agency_placement_domain(self):
        return [("agency_id.user_ids", "in", request.env.user.ids), ("state", "!=", "draft")]

    def _agency_placements(self):
        # sudo: agency users have no access to the model; every search adds _agency_placement_domain
        return request.env["collection.agency.placement"].sudo()

    def _agency_placement(self, placement_id):
        """The placement ``placement_id`` (sudo) if it is one of the user's agencies', else 404."""
        if not 0 < placement_id <= MAX_RECORD_ID:
            raise NotFound()
        placement = self._agency_placements().search([("id", "=", placement_id), *self._agency_placement_domain()])
        if not placement or request.env.user not in placement.agency_id.user_ids:
            raise NotFound()
        return placement

    def _agency_redirect(self, placement, error=None, success=None):
        params = {key: value for key, value in (("error", error), ("success", success)) if value}
        query = f"?{urlencode(params)}" if params else ""
        return request.redirect(f"/my/placements/{placement.id}{query}")

    def _agency_error_text(self, error):
        if isinstance(error, AgencyImportError):
            # the report travels in the redirect's query string: keep it short
            text = request.env._("Nothing was recorded: correct these lines and send the update again.")
            text += "\n" + "\n".join(
                request.env._(
                    "Line %(line)s, %(column)s %(value)s: %(message)s",
                    line=line["line"],
                    column=line["column"] or request.env._("file"),
                    value=f"'{line['value']}'" if line["value"] else "",
                    message=line["message"],
                )
                for line in error.errors[:PORTAL_REPORTED_ERRORS]
            )
            if len(error.errors) > PORTAL_REPORTED_ERRORS:
                text += "\n" + request.env._(
                    "... and %(count)s more errors.", count=len(error.errors) - PORTAL_REPORTED_ERRORS
                )
            return text
        return str(error)

    def _agency_line_cells(self, placement, line):
        """The placement file's values of one line, amounts formatted in the invoice currency."""
        values = placement._line_values(line)
        return {
            code: format_amount(request.env, value, line.currency_id)
            if isinstance(value, float) and not isinstance(value, bool)
            else value
            for code, value in values.items()
        }

    # ------------------------------------------------------------------ home counter
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "placement_count" in counters:
            values["placement_count"] = self._agency_placements().search_count(self._agency_placement_domain())
        return values

    # ------------------------------------------------------------------ pages
    @http.route(["/my/placements", "/my/placements/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_placements(self, page=1, **kw):
        Placement = self._agency_placements()
        domain = self._agency_placement_domain()
        count = Placement.search_count(domain)
        pager = portal_pager(url="/my/placements", total=count, page=page, step=PLACEMENTS_PER_PAGE)
        placements = Placement.search(domain, limit=PLACEMENTS_PER_PAGE, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "agency_placements",
                "placements": placements,
                "pager": pager,
                "default_url": "/my/placements",
            }
        )
        return request.render("account_collections_agency.portal_my_placements", values)

    @http.route("/my/placements/<int:placement_id>", type="http", auth="user", website=True)
    def portal_my_placement(self, placement_id, error=None, success=None, **kw):
        placement = self._agency_placement(placement_id)
        # the placement reference is the page's title: not repeated on every line
        columns = [code for code in placement._file_columns() if code != "placement_ref"]
        column_names = {column.code: column.name for column in placement.agency_id.include_fields}
        lines = placement.line_ids
        statuses = dict(lines._fields["status"]._description_selection(request.env))
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "agency_placement",
                "placement": placement,
                "columns": [(code, column_names[code]) for code in columns],
                "rows": [(line, self._agency_line_cells(placement, line)) for line in lines],
                "open_lines": lines.filtered(lambda line: line.status not in ("paid", "recalled")),
                "statuses": statuses,
                "agency_statuses": [(code, statuses[code]) for code in AGENCY_STATUSES],
                "import_columns": IMPORT_COLUMNS,
                "update_refusal": placement._import_refusal(),
                "max_upload_mb": upload_max_bytes(request.env) // (1024 * 1024),
                "max_upload_rows": upload_max_rows(request.env),
                "today": fields.Date.context_today(placement),
                "error": error,
                "success": success,
            }
        )
        return request.render("account_collections_agency.portal_my_placement", values)

    @http.route("/my/placements/<int:placement_id>/file", type="http", auth="user", website=True)
    def portal_my_placement_file(self, placement_id, **kw):
        placement = self._agency_placement(placement_id)
        attachment = placement.attachment_id
        if not attachment:
            raise NotFound()
        content = attachment.raw
        headers = [
            ("Content-Type", attachment.mimetype or "application/octet-stream"),
            ("Content-Length", len(content)),
            ("Content-Disposition", http.content_disposition(attachment.name)),
        ]
        return request.make_response(content, headers=headers)

    @http.route("/my/placements/<int:placement_id>/update", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_placement_update(self, placement_id, status_file=None, **post):
        placement = self._agency_placement(placement_id)
        refusal = placement._import_refusal()
        if refusal:
            return self._agency_redirect(placement, error=refusal)
        upload = status_file if status_file and getattr(status_file, "filename", None) else None
        if upload:
            filename = upload.filename
            try:
                data = base64.b64encode(read_upload(request.env, upload))
            except UserError as error:
                return self._agency_redirect(placement, error=str(error))
        else:
            if not post.get("invoice_number"):
                return self._agency_redirect(
                    placement, error=request.env._("Choose the invoice to update, or upload a status file.")
                )
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(IMPORT_COLUMNS)
            writer.writerow([(post.get(column) or "").strip() for column in IMPORT_COLUMNS])
            filename = f"{placement.name.replace('/', '-')}-portal-{fields.Datetime.now().isoformat()}.csv"
            data = base64.b64encode(buffer.getvalue().encode())
        try:
            with request.env.cr.savepoint():
                # sudo: the placement is one of the user's agency's (checked above); the import books
                # payments and commissions the agency user has no accounting rights for, while the
                # log and the import record keep the portal user as author
                result = placement.with_company(placement.company_id).import_file(data, filename)
        except (UserError, ValidationError) as error:
            return self._agency_redirect(placement, error=self._agency_error_text(error))
        if result["applied"]:
            success = request.env._("Thank you: %(count)s update(s) recorded.", count=result["applied"])
        else:
            success = request.env._("This update was already recorded: nothing changed.")
        return self._agency_redirect(placement, success=success)
