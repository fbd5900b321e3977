"""Fill a freshly installed database with a receivables ledger for the benchmark.

Usage: python generate.py -c ODOO_CONF -d DB --customers 20000 --invoices 100000 [--seed-invoices 2000]

1. Through the ORM (batched creates, ``_post`` per batch): a seed of customers (several countries
   and languages, emails, mobiles) and posted customer invoices (1-5 lines, taxes, due dates
   over the last 400 days and the next 60, two currencies), some credit notes, and payments for
   about 30 % of the invoices (partial or full), reconciled as Odoo does, each customer paying
   by its own usual delay after the due date (early, on time, weeks or months late).
2. In bulk with SQL: the seed is replicated (INSERT ... SELECT) until the requested size, with new
   customers, move names and sequence numbers, dates shifted a few days back, and the
   reconciliations (partials, full reconciles, payments) of each copy pointing at that copy's
   lines, so residuals and reconciliations stay consistent.

Prints one JSON line with the counts and the time taken.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_env import odoo_env  # noqa: E402

COUNTRIES = [
    # (country code, language, time zone, mobile prefix)
    ("BE", "fr_BE", "Europe/Brussels", "+32 470 "),
    ("FR", "fr_FR", "Europe/Paris", "+33 6 "),
    ("DE", "de_DE", "Europe/Berlin", "+49 151 "),
    ("ES", "es_ES", "Europe/Madrid", "+34 612 "),
    ("NL", "nl_NL", "Europe/Amsterdam", "+31 6 "),
    ("US", "en_US", "America/New_York", "+1 202 555 "),
    ("GB", "en_GB", "Europe/London", "+44 7700 "),
]
# tables copied by the SQL replication, in insertion order
COPIED_TABLES = [
    "res_partner",
    "account_full_reconcile",
    "account_move",
    "account_payment",
    "account_move_line",
    "account_partial_reconcile",
]
REL_TABLES = [
    "account_move_line_account_tax_rel",
    "account_account_tag_account_move_line_rel",
    "account_move__account_payment",
]
BATCH = 200


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--conf", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--invoices", type=int, default=100000)
    parser.add_argument("--seed-invoices", type=int, default=2000, help="invoices created through the ORM")
    parser.add_argument("--date", help="ISO date the ledger is built around (default today)")
    return parser.parse_args()


# ---------------------------------------------------------------------------------------- ORM seed
def setup_company(env):
    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    # the whole day, every day, is a contact window: the measure does not depend on when it runs
    company.write({"collection_window_start": 0.0, "collection_window_end": 24.0, "collection_contact_weekends": True})
    for _code, lang, _tz, _prefix in COUNTRIES:
        env["res.lang"]._activate_lang(lang)
    eur = env.ref("base.EUR")
    eur.active = True
    if not env["res.currency.rate"].search([("currency_id", "=", eur.id), ("company_id", "=", company.id)]):
        env["res.currency.rate"].create(
            {"currency_id": eur.id, "company_id": company.id, "name": "2000-01-01", "rate": 0.92}
        )
    return company, eur


def create_customers(env, count, rng):
    countries = {
        country.code: country for country in env["res.country"].search([("code", "in", [c[0] for c in COUNTRIES])])
    }
    vals_list = []
    for index in range(count):
        code, lang, tz, prefix = COUNTRIES[index % len(COUNTRIES)]
        vals_list.append(
            {
                "name": f"Bench Customer {index + 1:05d}",
                "is_company": True,
                "email": f"ap{index + 1}@customer{index + 1}.example.com",
                "mobile": f"{prefix}{rng.randint(100000, 999999)}",
                "country_id": countries[code].id,
                "lang": lang,
                "tz": tz,
                "street": f"{index + 1} Market Street",
                "city": "Springfield",
            }
        )
    return env["res.partner"].create(vals_list)


def invoice_vals(partner, currency, today, rng, taxes, move_type="out_invoice"):
    invoice_date = today - timedelta(days=rng.randint(0, 430))
    lines = [
        {
            "name": f"Service {rng.randint(1, 99)}",
            "quantity": rng.randint(1, 10),
            "price_unit": round(rng.uniform(20, 900), 2),
            "tax_ids": [(6, 0, rng.choice(taxes).ids)],
        }
        for _line in range(rng.randint(1, 5) if move_type == "out_invoice" else 1)
    ]
    return {
        "move_type": move_type,
        "partner_id": partner.id,
        "currency_id": currency.id,
        "invoice_date": invoice_date,
        "date": invoice_date,
        "invoice_date_due": min(invoice_date + timedelta(days=rng.choice((15, 30, 30, 45, 60))), today + timedelta(60)),
        "invoice_line_ids": [(0, 0, vals) for vals in lines],
    }


def create_invoices(env, customers, count, today, rng, currencies, taxes):
    Move = env["account.move"].with_context(collection_no_refresh=True, tracking_disable=True)
    moves = Move.browse()
    vals_list = []
    for index in range(count):
        partner = customers[index % len(customers)]
        currency = currencies[1] if rng.random() < 0.2 else currencies[0]
        vals_list.append(invoice_vals(partner, currency, today, rng, taxes))
        # some credit notes, left open: they lower their customer's balance
        if rng.random() < 0.05:
            vals_list.append(invoice_vals(partner, currency, today, rng, taxes, move_type="out_refund"))
    for start in range(0, len(vals_list), BATCH):
        batch = Move.create(vals_list[start : start + BATCH])
        batch._post(soft=False)
        moves |= batch
    return moves


def customer_delays(customers, seed=43):
    """{customer id: the days late it usually pays}: each customer has its own habit, as in a real
    ledger (a tenth pay a few days early, a third about on time, a third 1-3 weeks late, the rest
    1-2 months late). Drawn from their own random generator: the rest of the ledger is the same."""
    rng = random.Random(seed)
    profiles = [(0.1, (-6, -1)), (0.35, (0, 4)), (0.35, (7, 21)), (0.2, (30, 60))]

    def profile(draw):
        for share, bounds in profiles:
            if draw < share:
                return bounds
            draw -= share
        return profiles[-1][1]

    return {customer.id: rng.randint(*profile(rng.random())) for customer in customers}


def pay_invoices(env, invoices, today, rng):
    """Pay about 30 % of the invoices, a third of them partly, with real posted payments, each
    customer by its own usual delay after the due date (``customer_delays``) give or take 3 days;
    an invoice its customer would pay after today stays open."""
    Payment = env["account.payment"].with_context(collection_no_refresh=True, tracking_disable=True)
    company = env.company
    journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    chosen = invoices.filtered(lambda m: m.move_type == "out_invoice" and rng.random() < 0.3)
    delays = customer_delays(invoices.partner_id)
    noise = random.Random(44)
    vals_list, paid = [], invoices.browse()
    for invoice in chosen:
        amount = invoice.amount_residual
        if rng.random() < 0.35:
            amount = invoice.currency_id.round(amount * rng.uniform(0.2, 0.8))
        rng.randint(0, 90)  # the former payment delay: the draws of the rest of the ledger stay the same
        late = delays[invoice.partner_id.id] + noise.randint(-3, 3)
        paid_on = max(invoice.invoice_date, invoice.invoice_date_due + timedelta(days=late))
        if paid_on > today:
            continue
        paid |= invoice
        vals_list.append(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": invoice.partner_id.id,
                "amount": amount,
                "currency_id": invoice.currency_id.id,
                "journal_id": journal.id,
                "date": paid_on,
                "memo": invoice.name,
            }
        )
    payments = Payment.browse()
    for start in range(0, len(vals_list), BATCH):
        batch = Payment.create(vals_list[start : start + BATCH])
        batch.action_post()
        payments |= batch
    plan = []
    for invoice, payment in zip(paid, payments, strict=True):
        lines = (invoice.line_ids | payment.move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        plan.append(lines)
    env["account.move.line"].with_context(collection_no_refresh=True)._reconcile_plan(plan)
    return payments


# ---------------------------------------------------------------------------------------- SQL copies
def max_ids(cr):
    result = {}
    for table in COPIED_TABLES:
        cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table names
        result[table] = cr.fetchone()[0]
    return result


def foreign_keys(cr, tables):
    """{table: {column: referenced table}} for the columns pointing at a copied table."""
    cr.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
           AND c.confrelid::regclass::text = ANY(%s)
        """,
        [tables, COPIED_TABLES],
    )
    result = {}
    for table, column, target in cr.fetchall():
        result.setdefault(table, {})[column] = target
    return result


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def replicate(cr, base, top, copies, seq_span):
    """Insert ``copies`` copies of the seed rows (ids in (base, top]) of every copied table."""
    fks = foreign_keys(cr, COPIED_TABLES + REL_TABLES)
    span = {table: top[table] + 1 for table in COPIED_TABLES}

    def shifted(expr, target):
        return f"CASE WHEN {expr} > {base[target]} THEN {expr} + k * {span[target]} ELSE {expr} END"

    move_name = (
        "CASE WHEN m.sequence_number IS NULL OR m.name = '/' THEN m.name ELSE m.sequence_prefix"
        f" || LPAD((m.sequence_number + k * {seq_span})::text,"
        f" GREATEST(5, LENGTH((m.sequence_number + k * {seq_span})::text)), '0') END"
    )
    day_shift = "(k % 15)"
    overrides = {
        "res_partner": {
            "name": "t.name || ' / ' || k",
            "complete_name": "t.complete_name || ' / ' || k",
            "email": f"'ap' || (t.id + k * {span['res_partner']}) || '@copy' || k || '.example.com'",
        },
        "account_move": {
            "name": move_name,
            "sequence_number": f"t.sequence_number + k * {seq_span}",
            "payment_reference": f"CASE WHEN t.move_type = 'entry' THEN t.payment_reference ELSE {move_name} END",
            "date": f"t.date - {day_shift}",
            "invoice_date": f"t.invoice_date - {day_shift}",
            "invoice_date_due": f"t.invoice_date_due - {day_shift}",
            "invoice_partner_display_name": "t.invoice_partner_display_name || ' / ' || k",
            "access_token": "NULL",
            "collection_case_id": "NULL",
            # moves and payments point at each other: the move's link is set once the payment exists
            "origin_payment_id": "NULL",
        },
        "account_move_line": {
            "move_name": move_name,
            "date": f"t.date - {day_shift}",
            "date_maturity": f"t.date_maturity - {day_shift}",
            "invoice_date": f"t.invoice_date - {day_shift}",
        },
        "account_payment": {"name": move_name, "date": f"t.date - {day_shift}"},
        "account_partial_reconcile": {"max_date": f"t.max_date - {day_shift}"},
    }
    joins = {
        "account_move": "JOIN account_move m ON m.id = t.id",
        "account_move_line": "JOIN account_move m ON m.id = t.move_id",
        "account_payment": "JOIN account_move m ON m.id = t.move_id",
    }
    timings = {}
    for table in COPIED_TABLES + REL_TABLES:
        started = time.time()
        cols = columns(cr, table)
        exprs = []
        for col in cols:
            if col == "id":
                exprs.append(shifted("t.id", table))
            elif col in overrides.get(table, {}):
                exprs.append(overrides[table][col])
            elif col in fks.get(table, {}):
                exprs.append(shifted(f"t.{col}", fks[table][col]))
            else:
                exprs.append(f"t.{col}")
        if table in COPIED_TABLES:
            where = f"t.id > {base[table]} AND t.id <= {top[table]}"
        else:
            where = " OR ".join(
                f"(t.{col} > {base[target]} AND t.{col} <= {top[target]})" for col, target in fks[table].items()
            )
        cr.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608 - generated from the catalog
            f"SELECT {', '.join(exprs)} FROM {table} t {joins.get(table, '')} "
            f"CROSS JOIN generate_series(1, {copies}) AS k WHERE {where}"
        )
        timings[table] = round(time.time() - started, 1)
        if table in COPIED_TABLES:
            cr.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    cr.execute(
        f"""
        UPDATE account_move n SET origin_payment_id = o.origin_payment_id + k * {span["account_payment"]}
          FROM account_move o CROSS JOIN generate_series(1, {copies}) AS k
         WHERE o.id > {base["account_move"]} AND o.id <= {top["account_move"]}
           AND o.origin_payment_id > {base["account_payment"]}
           AND n.id = o.id + k * {span["account_move"]}
        """
    )
    return timings


def main():
    args = parse_args()
    started = time.time()
    rng = random.Random(42)
    today = date.fromisoformat(args.date) if args.date else date.today()
    seed_invoices = max(1, min(args.seed_invoices, args.invoices))
    copies = max(1, round(args.invoices / seed_invoices))
    seed_customers = max(1, round(args.customers / copies))
    with odoo_env(args.conf, args.database) as env:
        cr = env.cr
        company, eur = setup_company(env)
        taxes = env["account.tax"].search([("type_tax_use", "=", "sale"), ("company_id", "=", company.id)])
        taxes = [taxes[:1], env["account.tax"]] if taxes else [env["account.tax"]]
        env.flush_all()
        base = max_ids(cr)
        customers = create_customers(env, seed_customers, rng)
        moves = create_invoices(env, customers, seed_invoices, today, rng, (company.currency_id, eur), taxes)
        payments = pay_invoices(env, moves, today, rng)
        env.flush_all()
        orm_seconds = time.time() - started
        top = max_ids(cr)
        # no other customer may sit in the seed range: the copies shift every id above the baseline
        cr.execute(
            "SELECT MIN(id), COUNT(*) FROM res_partner WHERE id > %s AND id <= %s",
            [base["res_partner"], top["res_partner"]],
        )
        first_partner, seed_partner_count = cr.fetchone()
        assert seed_partner_count == len(customers) and first_partner == min(customers.ids), "unexpected partners"
        cr.execute("SELECT COALESCE(MAX(sequence_number), 0) + 1 FROM account_move")
        seq_span = cr.fetchone()[0]
        timings = replicate(cr, base, top, copies - 1, seq_span) if copies > 1 else {}
        env["ir.config_parameter"].set_param("account_collections.bench_generated_on", str(today))
        cr.commit()
        cr.execute("ANALYZE")
        cr.execute(
            "SELECT COUNT(*) FILTER (WHERE move_type = 'out_invoice'),"
            " COUNT(*) FILTER (WHERE move_type = 'out_refund'),"
            " COUNT(DISTINCT partner_id) FILTER (WHERE move_type = 'out_invoice')"
            " FROM account_move WHERE state = 'posted'"
        )
        invoices, refunds, partners = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM account_payment WHERE state != 'draft'")
        payment_count = cr.fetchone()[0]
        seed_invoice_count = len(moves.filtered(lambda m: m.move_type == "out_invoice"))
    print(
        json.dumps(
            {
                "measure": "generate",
                "invoices": invoices,
                "credit_notes": refunds,
                "customers": partners,
                "payments": payment_count,
                "seed_invoices": seed_invoice_count,
                "seed_payments": len(payments),
                "copies": copies,
                "orm_s": round(orm_seconds, 1),
                "sql_copy_s": timings,
                "wall_s": round(time.time() - started, 1),
                # on a shared machine, the CPU time of this process says more than the wall time
                "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
