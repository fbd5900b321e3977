"""The data of a collections database before and after an upgrade (``make upgrade-check``).

Usage, with the virtualenv's python:

    upgrade_data.py prepare  -c CONF -d DB --addons-path PATH
        with the add-ons found on PATH (the release upgraded from): give the demo database what its
        data files leave out (a settlement accepted, a write-off posted, the demo placement sent),
        run the engine once and dispatch the reminder emails it queued; committed.
    upgrade_data.py snapshot -c CONF -d DB -o FILE [--like BEFORE]
        write the data to FILE as JSON. Plain SQL, no add-on code loaded, so the same reader serves
        both sides of the upgrade. Without --like, what is read comes from the database's own field
        list (``ir_model_fields``); with --like, the fields of the earlier snapshot are read again,
        and a field the upgraded database no longer stores is reported.
    upgrade_data.py compare BEFORE AFTER
        print what was lost or changed; exit 1 when anything was, beyond tests/upgrade/allowed_changes.py.

What is read, record by record (ids are kept by an in-place upgrade, so they are the keys):
every stored field of every ``collection.*`` table (cases, events, promises, payment plans and
their lines, settlements, disputes, write-offs, legal costs, agency placements, their lines and
imports, and the configuration: policies, levels, stages, agencies), many2many links included
(the invoices of each agreement and event); every stored field our add-ons add to Odoo's models
(holds, blocks and case links on invoices, risk and behaviour on customers, company settings);
the invoices' own amounts and states; the activities, followers and messages of our records.
``write_date`` / ``write_uid`` are left out: the upgrade writes rows itself.
"""

import argparse
import datetime
import decimal
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from allowed_changes import ALLOWED_CHANGES, RENAMED_FIELDS

OUR_MODULES = ("account_collections", "account_collections_sms", "account_collections_agency")
SKIPPED_FIELDS = frozenset({"write_date", "write_uid"})
# Odoo's own fields read beside ours: the ledger the cases stand on, and our records' chatter
CORE_FIELDS = {
    "account.move": [
        "name",
        "move_type",
        "state",
        "partner_id",
        "company_id",
        "currency_id",
        "invoice_date_due",
        "amount_total",
        "amount_residual",
        "payment_state",
    ],
    "mail.activity": ["res_model", "res_id", "activity_type_id", "user_id", "date_deadline", "summary", "note"],
    "mail.followers": ["res_model", "res_id", "partner_id"],
    "mail.message": [
        "model",
        "res_id",
        "message_type",
        "subtype_id",
        "author_id",
        "date",
        "subject",
        "body",
        "attachment_ids",
    ],
    "mail.mail": ["mail_message_id", "state", "email_to", "recipient_ids", "auto_delete"],
    "sms.sms": ["mail_message_id", "partner_id", "number", "state", "body"],
    "ir.attachment": ["name", "res_model", "res_id", "res_field", "type", "mimetype", "checksum"],
}
# rows of Odoo's tables that belong to our records
ROW_FILTERS = {
    "mail.activity": "res_model LIKE 'collection.%'",
    "mail.followers": "res_model LIKE 'collection.%'",
    "mail.message": "model LIKE 'collection.%'",
    "mail.mail": "mail_message_id IN (SELECT id FROM mail_message WHERE model LIKE 'collection.%')",
    "sms.sms": "mail_message_id IN (SELECT id FROM mail_message WHERE model LIKE 'collection.%')",
    "ir.attachment": "res_model LIKE 'collection.%'",
}
# counts printed when they differ: what kind of record went missing, at a glance
GROUPS = {
    "collection.case": ("state", "stage_id"),
    "collection.event": ("case_id", "state", "channel", "level_id", "reason_code"),
    "account.move": ("collection_case_id", "collection_hold", "collection_blocked"),
}
SHOWN = 15  # lines per model and kind of difference


# ---------------------------------------------------------------------- database access
def _cursor(conf, db):
    import odoo  # noqa: PLC0415  (imported on use: compare runs without Odoo)

    odoo.tools.config.parse_config(["-c", conf, "--log-level=warn", "--no-http"])
    return odoo.sql_db.db_connect(db).cursor()


def _table(model):
    return model.replace(".", "_")


def _quote(name):
    escaped = name.replace('"', '""')
    return f'"{escaped}"'


def _value(value):
    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 6)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, memoryview | bytes):
        return "sha1:" + hashlib.sha1(bytes(value)).hexdigest()
    return value


def _fields(cr, spec_like=None):
    """{model: {field: metadata}} as the database knows them, and the problems of ``spec_like``."""
    cr.execute(
        """
        SELECT f.model, f.name, f.ttype, f.store, f.relation_table, f.column1, f.column2,
               EXISTS (SELECT 1 FROM ir_model_data d
                        WHERE d.model = 'ir.model.fields' AND d.res_id = f.id AND d.module IN %s) AS ours
          FROM ir_model_fields f
          JOIN ir_model m ON m.id = f.model_id
         WHERE NOT m.transient AND f.ttype != 'one2many'
        """,
        [OUR_MODULES],
    )
    known = {(row[0], row[1]): row for row in cr.fetchall()}
    cr.execute(
        """
        SELECT c.table_name, c.column_name FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        """
    )
    columns = {(table, column) for table, column in cr.fetchall()}
    tables = {table for table, _column in columns}

    def metadata(model, name):
        row = known.get((model, name))
        if row is None:
            return None, "is no field any more"
        _model, _name, ttype, store, relation, column1, column2, _ours = row
        if not store:
            return None, "is not stored any more"
        if ttype == "many2many":
            if relation not in tables:
                return None, f"has no relation table {relation} any more"
            return {"ttype": ttype, "relation": [relation, column1, column2]}, None
        if (_table(model), name) not in columns:
            return None, f"has no column {_table(model)}.{name} any more"
        return {"ttype": ttype}, None

    spec, missing = defaultdict(dict), {}
    if spec_like is None:
        for (model, name), row in sorted(known.items()):
            ours_model = model.startswith("collection.") and _table(model) in tables
            if name in SKIPPED_FIELDS or not (ours_model or row[7] or name in CORE_FIELDS.get(model, ())):
                continue
            meta, _problem = metadata(model, name)
            if meta:  # stored fields without a column of their own (binary attachments) are skipped
                spec[model][name] = meta
        return dict(spec), missing
    for model, names in spec_like.items():
        for name in names:
            current = RENAMED_FIELDS.get((model, name), (name, None))[0]
            meta, problem = metadata(model, current)
            if meta:
                spec[model][name] = dict(meta, read_as=current)
            else:
                missing[f"{model}.{name}"] = f"{model}.{current} {problem}"
    return dict(spec), missing


def snapshot(cr, spec_like=None):
    spec, missing = _fields(cr, spec_like)
    rows = {}
    for model, fields_ in sorted(spec.items()):
        table = _table(model)
        where = "WHERE " + ROW_FILTERS[model] if model in ROW_FILTERS else ""
        columns = [name for name, meta in fields_.items() if meta["ttype"] != "many2many"]
        select = ", ".join(_quote(fields_[name].get("read_as", name)) for name in columns)
        cr.execute(f"SELECT id{', ' if select else ''}{select} FROM {_quote(table)} {where} ORDER BY id")  # noqa: S608
        records = {str(row[0]): dict(zip(columns, map(_value, row[1:]), strict=True)) for row in cr.fetchall()}
        for name, meta in fields_.items():
            if meta["ttype"] != "many2many":
                continue
            relation, column1, column2 = meta["relation"]
            cr.execute(
                f"SELECT {_quote(column1)}, array_agg({_quote(column2)} ORDER BY {_quote(column2)}) "  # noqa: S608
                f"FROM {_quote(relation)} GROUP BY 1"
            )
            links = {str(key): value for key, value in cr.fetchall()}
            for key, record in records.items():
                record[name] = links.get(key, [])
        rows[model] = records
    cr.execute("SELECT name, latest_version FROM ir_module_module WHERE name IN %s ORDER BY name", [OUR_MODULES])
    return {
        "versions": dict(cr.fetchall()),
        "fields": {model: sorted(fields_) for model, fields_ in spec.items()},
        "missing_fields": missing,
        "rows": rows,
    }


# ---------------------------------------------------------------------- the release upgraded from
def prepare(conf, db, addons_path):
    """Run the release upgraded from on the demo database, as a desk would have used it."""
    import odoo  # noqa: PLC0415
    from odoo import Command, fields  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["-c", conf, "-d", db, "--addons-path", addons_path, "--log-level=warn", "--no-http"]
    )
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env = env(user=env.ref("base.user_admin"))  # a Collections Manager in the demo data
        today = fields.Date.context_today(env.user)
        env["collection.case"].refresh_cases()

        def free_invoices(case):
            return case.open_invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and not m.collection_hold and not m.collection_blocked
            )

        cases = env["collection.case"].search(
            [("state", "=", "open"), ("stage_id.code", "not in", ("agency", "legal"))], order="id"
        )
        workable = cases.filtered(free_invoices)
        if len(workable) < 2:
            sys.exit(f"The demo data of {db} has {len(workable)} open case(s) with invoices free of holds, not 2.")
        settled_case, written_off_case = workable[0], workable[-1]

        settlement = env["collection.settlement"].create(
            {
                "case_id": settled_case.id,
                "invoice_ids": [Command.set(free_invoices(settled_case).ids)],
                "discount_percentage": 10.0,
                "deadline": today + datetime.timedelta(days=14),
            }
        )
        settlement.action_offer()
        settlement.action_accept()

        company = written_off_case.company_id
        expense = env["account.account"].search(
            [("company_ids", "in", company.ids), ("account_type", "=", "expense")], limit=1
        )
        journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "general")], limit=1)
        company.write(
            {
                "collection_bad_debt_account_id": expense.id,
                "collection_write_off_journal_id": journal.id,
                "collection_write_off_limit": 0.0,
            }
        )
        invoice = free_invoices(written_off_case)[:1]
        write_off = env["collection.write.off"].create(
            {
                "case_id": written_off_case.id,
                "invoice_ids": [Command.set(invoice.ids)],
                "reason": "Customer ceased trading",
            }
        )
        write_off.action_post()

        placements = env["collection.agency.placement"].search([("state", "=", "draft")], order="id")
        placements.action_send()

        counts = env["collection.case"].run_collections()
        dispatched = env["collection.event"].sudo()._dispatch_emails()
        print(
            f"    settlement {settlement.name} accepted on {settled_case.name}, write-off {write_off.name} posted "
            f"on {written_off_case.name}, {len(placements)} placement(s) sent"
        )
        print(f"    engine run: {counts}; dispatch: {dispatched}")


# ---------------------------------------------------------------------- comparison
def _label(model, key, record):
    name = record.get("name") or record.get("display_name") or ""
    if isinstance(name, dict):
        name = name.get("en_US") or next(iter(name.values()), "")
    return f"{model} {key}" + (f" ({str(name)[:60]})" if name else "")


def _short(value):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(before, after):
    """Print the differences; return how many are not allowed."""
    failures = 0
    print(f"    versions: {before['versions']} -> {after['versions']}")
    for field, problem in sorted(after["missing_fields"].items()):
        model, name = field.rsplit(".", 1)
        reason = ALLOWED_CHANGES.get((model, name))
        if reason:
            print(f"    allowed  {problem}: {reason}")
        else:
            failures += 1
            print(f"    FIELD    {problem}: its values are not in the upgraded database")
    for model, records in sorted(before["rows"].items()):
        failures += _compare_model(model, records, after["rows"].get(model, {}))
    return failures


def _compare_model(model, records, upgraded):
    """Print the differences of one model; return how many are not allowed."""
    lost = [key for key in records if key not in upgraded]
    added = [key for key in upgraded if key not in records]
    changed, allowed = defaultdict(list), Counter()
    for key, record in records.items():
        new = upgraded.get(key, {})
        for name, value in record.items():
            if name not in new or new[name] == value:
                continue
            if (model, name) in ALLOWED_CHANGES:
                allowed[name] += 1
            else:
                changed[name].append((key, value, new[name]))
    count = sum(len(items) for items in changed.values())
    status = "ok" if not (lost or count) else "DIFFERS"
    print(f"    {model:<34} {len(records):>5} -> {len(upgraded):>5}  {status}")
    for key in lost[:SHOWN]:
        print(f"        LOST     {_label(model, key, records[key])}")
    if len(lost) > SHOWN:
        print(f"        ... and {len(lost) - SHOWN} more lost")
    for name, items in sorted(changed.items()):
        for key, old, new in items[:SHOWN]:
            print(f"        CHANGED  {_label(model, key, records[key])} {name}: {_short(old)} -> {_short(new)}")
        if len(items) > SHOWN:
            print(f"        ... and {len(items) - SHOWN} more changes of {name}")
    for name, number in sorted(allowed.items()):
        print(f"        allowed  {number} change(s) of {name}: {ALLOWED_CHANGES[(model, name)]}")
    if added:
        print(f"        new      {len(added)} record(s) made by the upgrade (ids {', '.join(added[:10])})")
    if lost and model in GROUPS:
        _print_groups(model, records, upgraded)
    return len(lost) + count


def _print_groups(model, records, upgraded):
    names = GROUPS[model]

    def counts(rows):
        return Counter(tuple(row.get(name) for name in names) for row in rows.values())

    old, new = counts(records), counts(upgraded)
    print(f"        by {', '.join(names)}:")
    for group in sorted(set(old) | set(new), key=str):
        if old[group] != new[group]:
            print(f"          {group}: {old[group]} -> {new[group]}")


# ---------------------------------------------------------------------- command line
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("-c", "--conf", required=True)
    prep.add_argument("-d", "--db", required=True)
    prep.add_argument("--addons-path", required=True)
    snap = commands.add_parser("snapshot")
    snap.add_argument("-c", "--conf", required=True)
    snap.add_argument("-d", "--db", required=True)
    snap.add_argument("-o", "--output", required=True)
    snap.add_argument("--like")
    comp = commands.add_parser("compare")
    comp.add_argument("before")
    comp.add_argument("after")
    args = parser.parse_args()

    if args.command == "prepare":
        prepare(args.conf, args.db, args.addons_path)
    elif args.command == "snapshot":
        like = json.loads(Path(args.like).read_text())["fields"] if args.like else None
        with _cursor(args.conf, args.db) as cr:
            data = snapshot(cr, like)
        Path(args.output).write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
        total = sum(len(records) for records in data["rows"].values())
        print(f"    {total} records of {len(data['rows'])} models, {sum(map(len, data['fields'].values()))} fields")
    else:
        before = json.loads(Path(args.before).read_text())
        after = json.loads(Path(args.after).read_text())
        failures = compare(before, after)
        if failures:
            print(f"\n    {failures} difference(s): data lost or changed by the upgrade")
            sys.exit(1)
        print("\n    nothing lost, nothing changed")


if __name__ == "__main__":
    main()
