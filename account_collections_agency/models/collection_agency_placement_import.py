import base64
import binascii
import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime

from markupsafe import Markup

from odoo import Command, api, fields
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, format_amount

from odoo.addons.account_collections.tools import GROUP_USER, check_group
from odoo.addons.account_collections.tools.upload import upload_max_bytes, upload_max_rows, upload_size_error

from .collection_agency_placement_line import LINE_STATUSES

# columns of the status and remittance file an agency sends back, in this order
IMPORT_COLUMNS = ("invoice_number", "status", "amount_recovered", "payment_date", "note")
# an agency reports these; recalling is the company's decision, never the agency's
AGENCY_STATUSES = tuple(code for code, _label in LINE_STATUSES if code != "recalled")
# the agency no longer works a line in one of these: a placement whose lines all are is closed
FINAL_LINE_STATUSES = ("paid", "uncollectible", "recalled")
IMPORT_FORMATS = ("csv", "json", "xlsx")
MAX_REPORTED_ERRORS = 200
# a value quoted in the error report is cut to this length
MAX_REPORTED_VALUE = 80
# an amount as a file writes it: 1234.56 (no thousands separator, no currency, no inf/nan)
AMOUNT_PATTERN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# no invoice amount comes near this; larger numbers are typing errors (and overflow the rounding)
MAX_AMOUNT = 1e15
# the last row of an Excel sheet: a row number beyond it is a forged file
MAX_SHEET_ROW = 1048576
# an Excel file (a zip) may unpack to this many times the upload limit, no more (zip bombs)
MAX_XLSX_UNPACK_RATIO = 10


class AgencyImportError(UserError):
    """A rejected status file; ``errors`` holds the per-line report (line, column, value, message)."""

    def __init__(self, message, errors):
        super().__init__(message)
        self.errors = errors


class PlacementStatusImport:
    """The agency's status file, imported on its placement: a part of ``collection.agency.placement``
    (composed into the model in collection_agency_placement.py, as the engine's steps are into
    ``collection.engine``)."""

    __slots__ = ()  # like a model class: the registry composes it with the model's classes

    def action_import_status(self):
        check_group(self.env, GROUP_USER, self.env._("import an agency status file"))
        self.ensure_one()
        self._import_check_open()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import Agency Status File"),
            "res_model": "collection.agency.import.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_placement_id": self.id},
        }

    def action_view_imports(self):
        check_group(self.env, GROUP_USER, self.env._("view the imports of a placement"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections_agency.action_collection_agency_import"
        )
        action["domain"] = [("placement_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ public API
    def import_file(self, data, filename):
        """Import the agency's status and remittance file of this placement.

        ``data`` is the file content in base64, ``filename`` tells its format by its extension
        (``.csv`` UTF-8 with a header, ``.json`` list of objects, ``.xlsx`` first sheet with a header
        row). The whole file is validated first: any bad line raises a ``UserError`` carrying the
        per-line report and nothing is applied. Importing a file (or a line) already imported applies
        nothing. Returns ``{"applied": n, "errors": []}``.

        Refused with a ``UserError``: a placement not sent yet, closed or whose invoices were all
        recalled; a file over the upload limits (system parameters ``account_collections.upload_max_mb``,
        default 10 MB, and ``account_collections.upload_max_rows``, default 50,000 lines), checked
        before the file is parsed; arguments of the wrong type.
        """
        check_group(self.env, GROUP_USER, self.env._("import an agency status file"))
        if len(self) != 1:
            raise UserError(
                self.env._(
                    "A status file is imported on one placement at a time; %(count)s were given: call "
                    "import_file on the placement the file reports on.",
                    count=len(self),
                )
            )
        self.check_access("write")
        self._import_check_open()
        raw = self._import_decode(data, filename)
        checksum = hashlib.sha256(raw).hexdigest()
        Import = self.env["collection.agency.import"]
        # sudo: only the existence of an identical file on this very placement is checked
        if Import.sudo().search_count([("placement_id", "=", self.id), ("checksum", "=", checksum)], limit=1):
            return {"applied": 0, "errors": []}
        rows, errors = self._import_parse(raw, filename)
        if not errors:
            changes, errors = self._import_validate(rows)
        if errors:
            raise AgencyImportError(self._import_error_message(filename, errors), errors)
        if not changes:
            return {"applied": 0, "errors": []}  # every line was applied by earlier files
        if any(change["remitted"] for change in changes):
            self.agency_id._check_settlement_ready()
        # all or nothing, whoever calls: a failure while applying leaves no line half-applied
        with self.env.cr.savepoint():
            applied = self._import_apply(changes, raw, filename, checksum)
        return {"applied": applied, "errors": []}

    def _import_refusal(self):
        """Why the placement takes no status file (a message), or ``None`` when it takes one."""
        self.ensure_one()
        if self.state == "draft":
            return self.env._(
                "Placement %(placement)s was not sent to %(agency)s yet: send it before importing "
                "the agency's status file.",
                placement=self.name,
                agency=self.agency_id.name,
            )
        if self.state == "closed":
            return self.env._(
                "Placement %(placement)s is closed: %(agency)s no longer works its invoices and it takes no "
                "status file any more. Report only on open placements; for news on a closed one, contact "
                "%(company)s.",
                placement=self.name,
                agency=self.agency_id.name,
                company=self.company_id.name,
            )
        if self.line_ids and all(line.status == "recalled" for line in self.line_ids):
            return self.env._(
                "Every invoice of placement %(placement)s was recalled from %(agency)s: it takes no status "
                "file any more.",
                placement=self.name,
                agency=self.agency_id.name,
            )
        return None

    def _import_check_open(self):
        """Refuse a status file on a placement that is not sent yet, closed or wholly recalled."""
        message = self._import_refusal()
        if message:
            raise UserError(message)

    # ------------------------------------------------------------------ reading the file
    @api.model
    def _import_shorten(self, value):
        """``value`` as text cut for the report: a huge cell must not make a huge message."""
        value = "" if value is None else str(value)
        return value if len(value) <= MAX_REPORTED_VALUE else value[:MAX_REPORTED_VALUE] + "..."

    def _import_error(self, line, column, value, message):
        return {"line": line, "column": column or "", "value": self._import_shorten(value), "message": message}

    def _import_decode(self, data, filename):
        if (
            not isinstance(filename, str)
            or "." not in filename
            or filename.rsplit(".", 1)[1].lower() not in IMPORT_FORMATS
        ):
            raise UserError(
                self.env._(
                    "Cannot import %(file)s on placement %(placement)s: send the status file as .csv, .json or .xlsx.",
                    file=(filename if isinstance(filename, str) else "")[:200] or self.env._("(no name)"),
                    placement=self.name,
                )
            )
        if not isinstance(data, str | bytes):
            raise UserError(
                self.env._(
                    "Cannot read %(file)s: send the content of the file as base64 text.",
                    file=filename,
                )
            )
        # the size is checked before anything is decoded: base64 is 4 characters per 3 bytes
        message = upload_size_error(self.env, len(data) * 3 // 4, filename)
        if message:
            raise UserError(message)
        try:
            if isinstance(data, str):
                data = data.encode()
            return base64.b64decode(data, validate=True)
        except (binascii.Error, TypeError, ValueError) as error:
            raise UserError(
                self.env._("Cannot read %(file)s: the content is not base64-encoded.", file=filename)
            ) from error

    def _import_too_many_rows(self, line):
        return self._import_error(
            line,
            "",
            "",
            self.env._(
                "The file has more than %(limit)s lines: split it into files of at most %(limit)s lines.",
                limit=upload_max_rows(self.env),
            ),
        )

    def _import_parse(self, raw, filename):
        """Rows of the file as ``[(line number, {column: value})]`` and the file-level errors."""
        extension = filename.rsplit(".", 1)[1].lower()
        if not raw.strip():
            return [], [self._import_error(1, "", "", self.env._("The file is empty."))]
        if extension == "xlsx":
            return self._import_parse_xlsx(raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            return [], [
                self._import_error(
                    line,
                    "",
                    raw[error.start : error.end].hex(" "),
                    self.env._("The file is not UTF-8 encoded: save it again as UTF-8 and re-send it."),
                )
            ]
        if extension == "json":
            return self._import_parse_json(text)
        return self._import_parse_csv(text)

    def _import_header_errors(self, header):
        return [
            self._import_error(
                1, column, "", self.env._("Column %(column)s is missing from the header.", column=column)
            )
            for column in IMPORT_COLUMNS
            if column not in header
        ]

    def _import_parse_csv(self, text):
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = [cell.strip().lower() for cell in next(reader)]
            errors = self._import_header_errors(header)
            if errors:
                return [], errors
            rows, errors = [], []
            max_rows = upload_max_rows(self.env)
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(rows) + len(errors) >= max_rows:
                    return [], [self._import_too_many_rows(reader.line_num)]
                if len(cells) != len(header):
                    # a cell more or less shifts the values into the wrong columns: never guess
                    errors.append(
                        self._import_error(
                            reader.line_num,
                            "",
                            delimiter.join(cells),
                            self.env._(
                                "This line has %(count)s cells but the header has %(header)s: quote the cells "
                                'that contain the separator %(separator)s (for example "Paid%(separator)s thanks") '
                                "and give every column one cell, even when it is empty.",
                                count=len(cells),
                                header=len(header),
                                separator=delimiter,
                            ),
                        )
                    )
                    continue
                values = {column: cells[index].strip() for index, column in enumerate(header)}
                rows.append((reader.line_num, values))
        except csv.Error as error:
            return [], [self._import_error(reader.line_num, "", "", self.env._("Unreadable CSV: %s", error))]
        return rows, errors

    def _import_parse_json(self, text):
        try:
            items = json.loads(text)
        except ValueError as error:
            return [], [self._import_error(getattr(error, "lineno", 1), "", "", self.env._("Invalid JSON: %s", error))]
        except RecursionError:
            return [], [self._import_error(1, "", "", self.env._("Invalid JSON: the values are nested too deeply."))]
        if isinstance(items, dict) and isinstance(items.get("lines"), list):
            items = items["lines"]
        if not isinstance(items, list):
            return [], [self._import_error(1, "", "", self.env._("The JSON file must hold a list of objects."))]
        if len(items) > upload_max_rows(self.env):
            return [], [self._import_too_many_rows(upload_max_rows(self.env) + 1)]
        rows, errors = [], []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                errors.append(self._import_error(index, "", item, self.env._("Each line must be a JSON object.")))
                continue
            values = {str(key).strip().lower(): value for key, value in item.items()}
            missing = [column for column in ("invoice_number", "status") if column not in values]
            errors += [
                self._import_error(index, column, "", self.env._("Column %(column)s is missing.", column=column))
                for column in missing
            ]
            rows.append(
                (index, {key: value.strip() if isinstance(value, str) else value for key, value in values.items()})
            )
        return rows, errors

    def _import_parse_xlsx(self, raw):
        try:
            import openpyxl  # pylint: disable=import-outside-toplevel

            # what the zip says it unpacks to, before openpyxl loads its shared strings in memory
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                unpacked = sum(item.file_size for item in archive.infolist())
            limit = upload_max_bytes(self.env) * MAX_XLSX_UNPACK_RATIO
            if unpacked > limit:
                message = self.env._(
                    "The Excel file unpacks to more than %(limit)s MB: save the sheet alone, without images "
                    "or other sheets, or send it as CSV.",
                    limit=limit // (1024 * 1024),
                )
                return [], [self._import_error(1, "", "", message)]
            # read-only: the sheet is streamed row by row, never loaded whole
            workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable workbook is the same user error
            return [], [self._import_error(1, "", "", self.env._("Unreadable Excel file: %s", error))]
        try:
            return self._import_read_sheet(workbook.worksheets[0])
        except Exception as error:  # noqa: BLE001 - a corrupt sheet is found while streaming it
            return [], [self._import_error(1, "", "", self.env._("Unreadable Excel file: %s", error))]
        finally:
            workbook.close()

    def _import_read_sheet(self, sheet):
        """Rows of an (openpyxl, read-only) sheet whose first row is the header, and the errors."""
        max_rows = upload_max_rows(self.env)
        # the sheet's declared dimension refuses a huge sheet before it is read; then it is
        # dropped: openpyxl would silently stop at a declared last row that is too small
        if sheet.max_row and sheet.max_row > max_rows + 1:
            return [], [self._import_too_many_rows(max_rows + 2)]
        sheet.reset_dimensions()
        rows_iter = sheet.iter_rows(values_only=True)
        header = [str(cell).strip().lower() if cell is not None else "" for cell in next(rows_iter, ())]
        errors = self._import_header_errors(header)
        if errors:
            return [], errors
        rows = []
        for number, cells in enumerate(rows_iter, start=2):
            if number > MAX_SHEET_ROW:
                return [], [
                    self._import_error(number, "", "", self.env._("The sheet has more rows than Excel allows."))
                ]
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
                continue
            if len(rows) + len(errors) >= max_rows:
                return [], [self._import_too_many_rows(number)]
            # the sheet pads short rows with empty cells: only a filled cell outside the header is wrong
            extra = [
                cell
                for index, cell in enumerate(cells)
                if (index >= len(header) or not header[index])
                and not (cell is None or (isinstance(cell, str) and not cell.strip()))
            ]
            if extra:
                errors.append(
                    self._import_error(
                        number,
                        "",
                        extra[0],
                        self.env._(
                            "This line has a cell outside the columns of the header: remove it or give its "
                            "column a name in the header."
                        ),
                    )
                )
                continue
            values = {}
            for index, column in enumerate(header):
                if not column:
                    continue
                cell = cells[index] if index < len(cells) else None
                values[column] = cell.strip() if isinstance(cell, str) else ("" if cell is None else cell)
            rows.append((number, values))
        return rows, errors

    # ------------------------------------------------------------------ validation
    def _import_status_codes(self):
        """Accepted spellings of each status: its code and its English and translated labels."""
        codes = {}
        labels = dict(self.env["collection.agency.placement.line"]._fields["status"]._description_selection(self.env))
        for code, label in LINE_STATUSES:
            for spelling in (code, label, labels.get(code, label)):
                codes[spelling.strip().lower().replace(" ", "_")] = code
        return codes

    def _import_amount(self, value):
        """The number in ``value`` (None when empty); raises ValueError when it is not a number."""
        if value is None or (isinstance(value, str) and not value):
            return None
        if isinstance(value, bool) or (isinstance(value, str) and not AMOUNT_PATTERN.fullmatch(value)):
            raise ValueError(value)
        amount = float(value)  # OverflowError for an integer beyond any float
        if math.isnan(amount) or math.isinf(amount) or abs(amount) >= MAX_AMOUNT:
            raise ValueError(value)
        return amount

    def _import_date(self, value):
        if value is None or (isinstance(value, str) and not value):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return fields.Date.to_date(value)

    @api.model
    def _import_line_key(self, invoice_number, status, amount, payment_date):
        amount_key = "" if amount is None else f"{amount:.6f}"
        date_key = payment_date.isoformat() if payment_date else ""
        return hashlib.sha256(f"{invoice_number}|{status}|{amount_key}|{date_key}".encode()).hexdigest()

    def _import_validate(self, rows):
        """Check every row against the placement; returns the changes to apply and the errors."""
        context = {
            "today": fields.Date.context_today(self),
            "status_codes": self._import_status_codes(),
            "lines": {line.invoice_id.name: line for line in self.line_ids},
            # sudo: only keys of lines of this placement are read, to skip lines applied before
            "applied_keys": set(
                self.env["collection.agency.import.line"]
                .sudo()
                .search([("placement_line_id", "in", self.line_ids.ids)])
                .mapped("key")
            ),
            "seen": {},
        }
        context["elsewhere"] = self._import_unplaced_invoices(
            {
                str(values.get("invoice_number") or "").strip()
                for _line, values in rows
                if not self._import_cell_problem(values.get("invoice_number"))
            }
            - set(context["lines"])
        )
        errors, changes = [], []
        for line_no, values in rows:
            row, row_errors = self._import_read_row(line_no, values, context)
            if row_errors:
                errors += row_errors
                continue
            if row["key"] in context["applied_keys"]:
                continue  # applied by an earlier file
            row_errors = self._import_check_row(row)
            if row_errors:
                errors += row_errors
                continue
            changes.append(row)
        return changes, errors

    def _import_cell_problem(self, value):
        """What is wrong with a cell whatever its column (a message), or ``None``."""
        if isinstance(value, list | dict):
            return self.env._("A cell holds text, a number or a date, not a list or an object.")
        if isinstance(value, str) and "\x00" in value:
            return self.env._("The cell holds a NUL character: save the file again as plain text.")
        return None

    def _import_read_row(self, line_no, values, context):
        """The row's values read and checked on their own: ``(row, errors)``."""
        raw = {column: values.get(column) for column in IMPORT_COLUMNS}
        errors = [
            self._import_error(line_no, column, value, message)
            for column, value in raw.items()
            if (message := self._import_cell_problem(value))
        ]
        if errors:
            return None, errors
        number = str(raw["invoice_number"]).strip() if raw["invoice_number"] not in (None, "") else ""
        line = context["lines"].get(number)
        message = None
        if not number:
            message = self.env._("The invoice number is missing.")
        elif number in context["seen"]:
            message = self.env._(
                "Duplicate line: invoice %(invoice)s is already on line %(line)s.",
                invoice=self._import_shorten(number),
                line=context["seen"][number],
            )
        elif not line:
            message = context["elsewhere"].get(number) or self.env._(
                "Unknown invoice %(invoice)s.", invoice=self._import_shorten(number)
            )
        if message:
            errors.append(self._import_error(line_no, "invoice_number", number, message))
        if number:
            context["seen"].setdefault(number, line_no)

        status = context["status_codes"].get(str(raw["status"] or "").strip().lower().replace(" ", "_"))
        if status == "recalled":
            message = self.env._("Only we recall invoices from the agency: report another status.")
        elif status not in AGENCY_STATUSES:
            message = self.env._("Unknown status. Use one of: %(statuses)s.", statuses=", ".join(AGENCY_STATUSES))
        else:
            message = None
        if message:
            errors.append(self._import_error(line_no, "status", raw["status"], message))

        amount, message = self._import_read_amount(raw["amount_recovered"])
        if message:
            errors.append(self._import_error(line_no, "amount_recovered", raw["amount_recovered"], message))
        payment_date, message = self._import_read_date(raw["payment_date"], context["today"])
        if message:
            errors.append(self._import_error(line_no, "payment_date", raw["payment_date"], message))
        if errors:
            return None, errors
        if amount is not None:
            amount = line.currency_id.round(amount)
        return {
            "line_no": line_no,
            "line": line,
            "raw": raw,
            "status": status,
            "amount": amount,
            "payment_date": payment_date,
            "note": str(raw["note"]).strip() if raw["note"] not in (None, "") else "",
            "key": self._import_line_key(number, status, amount, payment_date),
        }, []

    def _import_read_amount(self, value):
        """``(amount or None, error message or None)``"""
        try:
            amount = self._import_amount(value)
        except (TypeError, ValueError, OverflowError):
            return None, self.env._("Not a number: write the amount like 1234.56.")
        if amount is not None and amount < 0:
            return None, self.env._("The recovered amount cannot be negative.")
        return amount, None

    def _import_read_date(self, value, today):
        """``(date or None, error message or None)``"""
        try:
            payment_date = self._import_date(value)
        except (TypeError, ValueError, OverflowError):
            return None, self.env._("Not a date: write dates as YYYY-MM-DD.")
        if payment_date and payment_date > today:
            return None, self.env._("The payment date is in the future.")
        if payment_date and payment_date < self.date:
            return None, self.env._("The payment date is before the placement date %(date)s.", date=self.date)
        return payment_date, None

    def _import_check_row(self, row):
        """Check a row against what is already known of its invoice; completes the row with the
        new total, the remitted amount and its commission. Returns the errors."""
        pline, raw, status = row["line"], row["raw"], row["status"]
        currency = pline.currency_id
        number = pline.invoice_id.name
        total = pline.amount_recovered if row["amount"] is None else row["amount"]
        remitted = currency.round(total - pline.amount_recovered)
        errors = []

        def compare(amount, other):
            return float_compare(amount, other, precision_rounding=currency.rounding)

        def money(amount):
            return format_amount(self.env, amount, currency)

        if pline.status == "recalled":
            message = self.env._(
                "Invoice %(invoice)s was recalled from the agency: it cannot be updated any more.", invoice=number
            )
            errors.append(self._import_error(row["line_no"], "invoice_number", number, message))
        elif pline.status == "paid" and (status != "paid" or remitted):
            message = self.env._(
                "Invoice %(invoice)s is already reported paid in full: it cannot change any more.", invoice=number
            )
            errors.append(self._import_error(row["line_no"], "invoice_number", number, message))
        message = None
        if compare(total, pline.amount_placed) > 0:
            message = self.env._(
                "Recovered more than placed: %(amount)s were placed on invoice %(invoice)s.",
                amount=money(pline.amount_placed),
                invoice=number,
            )
        elif remitted < 0:
            message = self.env._(
                "Lower than the %(amount)s already recovered on invoice %(invoice)s: report the total "
                "recovered so far.",
                amount=money(pline.amount_recovered),
                invoice=number,
            )
        elif remitted > 0 and compare(remitted, pline.invoice_id.amount_residual) > 0:
            message = self.env._(
                "Invoice %(invoice)s has only %(residual)s left to pay: it was partly paid to us directly. "
                "Check the amount with us.",
                invoice=number,
                residual=money(pline.invoice_id.amount_residual),
            )
        elif status == "paid" and compare(total, pline.amount_placed):
            message = self.env._(
                "A paid invoice must have recovered the %(amount)s placed: report status partial otherwise.",
                amount=money(pline.amount_placed),
            )
        elif status == "partial" and float_is_zero(total, precision_rounding=currency.rounding):
            message = self.env._("A partially paid invoice needs the amount recovered so far.")
        if message:
            errors.append(self._import_error(row["line_no"], "amount_recovered", raw["amount_recovered"], message))
        if remitted > 0 and not row["payment_date"]:
            message = self.env._("The payment date of the remitted amount is missing.")
            errors.append(self._import_error(row["line_no"], "payment_date", raw["payment_date"], message))
        remitted = max(remitted, 0.0)
        row.update(
            amount_recovered=total,
            remitted=remitted,
            commission=currency.round(remitted * self.agency_id.commission_rate / 100),
        )
        return errors

    def _import_unplaced_invoices(self, numbers):
        """Why each of ``numbers`` is not a line of this placement, for the invoices that exist."""
        numbers = {number for number in numbers if number}
        if not numbers:
            return {}
        # sudo: an agency user gets told that the invoice is placed elsewhere, never with whom
        other_lines = (
            self.env["collection.agency.placement.line"]
            .sudo()
            .search([("invoice_id.name", "in", list(numbers)), ("company_id", "=", self.company_id.id)])
        )
        reasons = {}
        for line in other_lines:
            if line.agency_id == self.agency_id:
                reasons[line.invoice_id.name] = self.env._(
                    "Invoice %(invoice)s is not in placement %(placement)s but in placement %(other)s: "
                    "import its status there.",
                    invoice=line.invoice_id.name,
                    placement=self.name,
                    other=line.placement_id.name,
                )
            else:
                reasons.setdefault(
                    line.invoice_id.name,
                    self.env._(
                        "Invoice %(invoice)s is not placed with %(agency)s.",
                        invoice=line.invoice_id.name,
                        agency=self.agency_id.name,
                    ),
                )
        # sudo: existence of the invoice numbers only
        invoices = (
            self.env["account.move"]
            .sudo()
            .search([("name", "in", list(numbers - set(reasons))), ("company_id", "=", self.company_id.id)])
        )
        for invoice in invoices:
            reasons[invoice.name] = self.env._(
                "Invoice %(invoice)s is not placed with %(agency)s.", invoice=invoice.name, agency=self.agency_id.name
            )
        return reasons

    def _import_error_message(self, filename, errors):
        report = "\n".join(
            self.env._(
                "Line %(line)s, %(column)s %(value)s: %(message)s",
                line=error["line"],
                column=error["column"] or self.env._("file"),
                value=f"'{error['value']}'" if error["value"] else "",
                message=error["message"],
            )
            for error in errors[:MAX_REPORTED_ERRORS]
        )
        if len(errors) > MAX_REPORTED_ERRORS:
            report += "\n" + self.env._("... and %s more errors.", len(errors) - MAX_REPORTED_ERRORS)
        return self.env._(
            "The file %(file)s was rejected for placement %(placement)s: nothing was imported. "
            "Correct these %(count)s error(s) and import the whole file again.\n%(report)s",
            file=filename,
            placement=self.name,
            count=len(errors),
            report=report,
        )

    # ------------------------------------------------------------------ applying
    def _import_apply(self, changes, raw, filename, checksum):
        today = fields.Date.context_today(self)
        attachment = self.env["ir.attachment"].create(
            {"name": filename, "raw": raw, "res_model": self._name, "res_id": self.id}
        )
        # sudo: the import and its lines are the suite's record of what was applied, not the user's
        file_import = (
            self.env["collection.agency.import"]
            .sudo()
            .create(
                {
                    "placement_id": self.id,
                    "filename": filename,
                    "checksum": checksum,
                    "applied_count": len(changes),
                    "attachment_id": attachment.id,
                }
            )
        )
        import_lines = []
        for change in changes:
            pline = change["line"]
            vals = {
                "status": change["status"],
                "amount_recovered": change["amount_recovered"],
                "commission": pline.commission + change["commission"],
                "status_date": change["payment_date"] or today,
            }
            if change["note"]:
                vals["agency_note"] = change["note"]
            pline._write_workflow(vals)
            import_lines.append(
                {
                    "import_id": file_import.id,
                    "placement_line_id": pline.id,
                    "sequence": change["line_no"],
                    "key": change["key"],
                    "status": change["status"],
                    "amount_recovered": change["amount_recovered"],
                    "amount_remitted": change["remitted"],
                    "commission": change["commission"],
                    "payment_date": change["payment_date"],
                }
            )
        import_line_records = self.env["collection.agency.import.line"].sudo().create(import_lines)
        remittances = [change for change in changes if change["remitted"]]
        if remittances:
            # the agency's own remittance: not a payment made behind its back (see collection.case._close)
            payments, commission_moves = self.with_context(collection_agency_import=True)._import_settle(
                remittances, import_line_records
            )
            file_import.write(
                {"payment_ids": [Command.set(payments.ids)], "commission_move_ids": [Command.set(commission_moves.ids)]}
            )
        self._import_log_events(changes, attachment)
        self._import_update_state()
        self.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Status file %(file)s imported: %(count)s line(s) applied.", file=filename, count=len(changes)
            ),
            attachment_ids=attachment.ids,
        )
        return len(changes)

    def _import_update_state(self):
        for placement in self:
            if placement.line_ids and all(line.status in FINAL_LINE_STATUSES for line in placement.line_ids):
                state = "closed"
            elif placement.state == "sent":
                state = "acknowledged"
            else:
                state = placement.state
            if state != placement.state:
                placement._write_workflow({"state": state})

    def _import_log_events(self, changes, attachment):
        by_case = defaultdict(list)
        for change in changes:
            if change["line"].case_id:
                by_case[change["line"].case_id].append(change)
        statuses = dict(self.env["collection.agency.placement.line"]._fields["status"]._description_selection(self.env))
        vals_list = []
        for case, case_changes in by_case.items():
            details = []
            for change in case_changes:
                pline = change["line"]
                detail = self.env._(
                    "%(invoice)s %(status)s (%(recovered)s recovered)",
                    invoice=pline.invoice_id.name,
                    status=statuses[change["status"]],
                    recovered=format_amount(self.env, change["amount_recovered"], pline.currency_id),
                )
                if change["remitted"]:
                    detail += " " + self.env._(
                        "remitted %(amount)s", amount=format_amount(self.env, change["remitted"], pline.currency_id)
                    )
                details.append(detail)
            notes = "\n".join(
                f"{change['line'].invoice_id.name}: {change['note']}" for change in case_changes if change["note"]
            )
            vals_list.append(
                case._event_vals(
                    self.env._(
                        "%(agency)s reports on %(placement)s: %(details)s",
                        agency=self.agency_id.name,
                        placement=self.name,
                        details="; ".join(details),
                    ),
                    channel="agency",
                    direction="inbound",
                    invoice_ids=[Command.set([change["line"].invoice_id.id for change in case_changes])],
                    note=notes or False,
                    attachment_id=attachment.id,
                )
            )
        # sudo: the log is append-only and written by the system for whoever imports
        self.env["collection.event"].sudo().create(vals_list)

    def _import_settle(self, remittances, import_lines):
        """Book the remitted money: the customer payments and the agency's commission.

        Gross settlement: a payment of the whole remitted amount on each invoice and one vendor bill
        of the agency per currency for the commission. Net settlement: a payment of the remitted
        amount less the commission, and one journal entry per currency that books the commission
        as an expense against the receivable, reconciled with each invoice.
        """
        agency = self.agency_id
        net = agency.settlement_mode == "net"
        AccountMove = self.env["account.move"].with_company(self.company_id)
        payments = self.env["account.payment"]
        import_line_by_line = {line.placement_line_id: line for line in import_lines}
        for change in remittances:
            pline = change["line"]
            amount = change["remitted"] - change["commission"] if net else change["remitted"]
            if float_is_zero(amount, precision_rounding=pline.currency_id.rounding):
                continue
            payment = self._import_register_payment(pline, amount, change["payment_date"])
            import_line_by_line[pline].payment_id = payment
            payments |= payment
        commission_moves = AccountMove
        by_currency = defaultdict(list)
        for change in remittances:
            if not float_is_zero(change["commission"], precision_rounding=change["line"].currency_id.rounding):
                by_currency[change["line"].currency_id].append(change)
        for currency, currency_changes in by_currency.items():
            if net:
                commission_moves |= self._import_commission_entry(currency, currency_changes)
            else:
                commission_moves |= self._import_commission_bill(currency, currency_changes)
        return payments, commission_moves

    def _import_register_payment(self, pline, amount, payment_date):
        invoice = pline.invoice_id
        wizard = (
            self.env["account.payment.register"]
            .with_company(self.company_id)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "payment_date": payment_date,
                    "journal_id": self.agency_id.journal_id.id,
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "payment_difference_handling": "open",
                    "communication": self.env._(
                        "%(invoice)s via %(agency)s (%(placement)s)",
                        invoice=invoice.name,
                        agency=self.agency_id.name,
                        placement=self.name,
                    ),
                }
            )
        )
        return wizard._create_payments()

    def _import_commission_label(self, pline):
        return self.env._(
            "Commission %(rate)s%% on %(invoice)s (%(placement)s)",
            rate=self.agency_id.commission_rate,
            invoice=pline.invoice_id.name,
            placement=self.name,
        )

    def _import_commission_bill(self, currency, changes):
        agency = self.agency_id
        bill = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "in_invoice",
                    "partner_id": agency.partner_id.id,
                    "journal_id": agency.commission_journal_id.id,
                    "currency_id": currency.id,
                    "invoice_date": max(change["payment_date"] for change in changes),
                    "ref": self.env._("Commission %(placement)s", placement=self.name),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": self._import_commission_label(change["line"]),
                                "account_id": agency.commission_account_id.id,
                                "quantity": 1,
                                "price_unit": change["commission"],
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for change in changes
                    ],
                }
            )
        )
        bill.action_post()
        return bill

    def _import_commission_entry(self, currency, changes):
        agency = self.agency_id
        company = self.company_id
        entry_date = max(change["payment_date"] for change in changes)
        line_vals, total_balance, total_amount = [], 0.0, 0.0
        for change in changes:
            invoice = change["line"].invoice_id
            receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            balance = currency._convert(change["commission"], company.currency_id, company, entry_date)
            total_balance += balance
            total_amount += change["commission"]
            line_vals.append(
                Command.create(
                    {
                        "name": self._import_commission_label(change["line"]),
                        "account_id": receivable.account_id[:1].id,
                        "partner_id": invoice.commercial_partner_id.id,
                        "currency_id": currency.id,
                        "amount_currency": -change["commission"],
                        "balance": -balance,
                    }
                )
            )
        line_vals.insert(
            0,
            Command.create(
                {
                    "name": self.env._(
                        "Commission %(agency)s (%(placement)s)", agency=agency.name, placement=self.name
                    ),
                    "account_id": agency.commission_account_id.id,
                    "partner_id": agency.partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": total_amount,
                    "balance": total_balance,
                }
            ),
        )
        entry = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": agency.commission_journal_id.id,
                    "date": entry_date,
                    "ref": self.env._("Commission %(placement)s", placement=self.name),
                    "line_ids": line_vals,
                }
            )
        )
        entry.action_post()
        credit_lines = {
            line.name: line for line in entry.line_ids if line.account_id.account_type == "asset_receivable"
        }
        for change in changes:
            invoice = change["line"].invoice_id
            credit_line = credit_lines[self._import_commission_label(change["line"])]
            open_lines = invoice.line_ids.filtered(
                lambda line, credit_line=credit_line: line.account_id == credit_line.account_id and not line.reconciled
            )
            (open_lines | credit_line).reconcile()
        return entry
