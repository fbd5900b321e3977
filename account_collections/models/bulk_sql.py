"""Set-based writes for the engine: many rows in one statement, with the ORM's defaults.

The engine logs several events per case and opens thousands of cases per refresh; these
helpers insert or update them column by column (one array per column, ``unnest``), which
PostgreSQL takes in one statement, instead of the ORM's per-record work.
"""

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL

# PostgreSQL array type of each field type written in bulk
ARRAY_TYPES = {
    "many2one": "int4[]",
    "integer": "int4[]",
    "char": "varchar[]",
    "selection": "varchar[]",
    "text": "text[]",
    "monetary": "numeric[]",
    "float": "numeric[]",
    "date": "date[]",
    "datetime": "timestamp[]",
    "boolean": "bool[]",
    "html": "text[]",
    "many2one_reference": "int4[]",
}


def _columns(model, names, rows):
    """One typed array per column: ``%s::type[]`` SQL for each name, values from ``rows``."""
    columns = []
    for name in names:
        field = model._fields.get(name)
        if not field or not field.store or field.type not in ARRAY_TYPES or field.translate:
            raise UserError(
                model.env._("%(field)s of %(model)s cannot be written in bulk.", field=name, model=model._name)
            )
        values = [None if (value := row.get(name)) is False else value for row in rows]
        columns.append(SQL("%s::%s", values, SQL(ARRAY_TYPES[field.type])))
    return columns


def bulk_insert(model, vals_list, defaults=None):
    """Insert ``vals_list`` (plain column values) into the model's table in one statement.

    ``create_uid``/``write_uid``/``create_date``/``write_date`` are filled like the ORM does (on
    models that have them);
    ``defaults`` gives the other values missing from a row. Returns the new ids, in order.
    """
    if not vals_list:
        return []
    now = fields.Datetime.now()
    base = (
        {"create_uid": model.env.uid, "create_date": now, "write_uid": model.env.uid, "write_date": now}
        if model._log_access
        else {}
    )
    base.update(defaults or {})
    names = sorted({key for vals in vals_list for key in vals} | set(base))
    rows = [base | vals for vals in vals_list]
    ids = [
        row[0]
        for row in model.env.execute_query(
            SQL(
                "INSERT INTO %s (%s) SELECT * FROM unnest(%s) RETURNING id",
                SQL.identifier(model._table),
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL(", ").join(_columns(model, names, rows)),
            )
        )
    ]
    # the one2many fields pointing at the new rows (a customer's cases...) no longer match their cache
    model.env.cache.invalidate(
        [(inverse, None) for name in names for inverse in model.pool.field_inverses[model._fields[name]]]
    )
    return ids


def bulk_update(model, values_by_id):
    """Write ``{id: {field: value}}`` (same fields for every id) in one UPDATE, and put the
    values in the cache. No ORM side effect: for fields nothing else depends on."""
    if not values_by_id:
        return
    ids = list(values_by_id)
    names = sorted(values_by_id[ids[0]])
    rows = [values_by_id[record_id] for record_id in ids]
    model.env.execute_query(
        SQL(
            """
            UPDATE %s t SET %s, write_date = NOW() AT TIME ZONE 'UTC', write_uid = %s
              FROM unnest(%s::int[], %s) AS v(id, %s)
             WHERE t.id = v.id
            """,
            SQL.identifier(model._table),
            SQL(", ").join(SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in names),
            model.env.uid,
            ids,
            SQL(", ").join(_columns(model, names, rows)),
            SQL(", ").join(SQL.identifier(name) for name in names),
        )
    )
    records = model.browse(ids)
    for name in names:
        model.env.cache.update(records, model._fields[name], [row[name] or None for row in rows])
    model.env.cache.invalidate(
        [(inverse, None) for name in names for inverse in model.pool.field_inverses[model._fields[name]]]
    )
