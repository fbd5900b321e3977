"""The write layer: the one module of the suite that writes with SQL.

The refresh, the engine and the log write thousands of rows at once. Where Odoo's ``create`` and
``write`` in batch are too slow for that (each caller says by how much, measured on the bench),
they write through here instead: one statement per call, one array per column (``unnest``).
Every write keeps the promises the ORM keeps after its own SQL (``BaseModel._create``,
``_write_multi``):

- **flush first**: pending ORM writes and computations of the model, and the company columns the
  check below reads, reach the database before the statement, so nothing stale is flushed over it;
- **company consistency**: a ``check_company`` value of another company than its record's is
  refused with a ``UserError`` naming the record, in one query, before anything is written;
- **the cache**: the written values go into the cache as the database holds them (what
  ``write`` would have put there); the one2many/many2many inverses of what changed are
  invalidated;
- **dependants**: ``modified()`` marks what depends on the written fields (stored computed and
  related fields, cached non-stored ones) for recomputation, before the write for what depended
  on the old relations and after it, as ``write`` and ``create`` do; the ORM recomputes them at
  its next flush, like after any ``write``;
- Python constraints (``@api.constrains``) of the written fields run, as after ``write``.

Values are column values: ids (not records), dates (or ISO strings), numbers, ``False``/``None``
for empty. Floats with digits are rounded to them, as the ORM does; monetary amounts are stored as
given: round them in their currency first.

``create_uid``/``write_uid``/``create_date``/``write_date`` are set like the ORM sets them
(the current user, the transaction's timestamp). No access rights are checked: the callers are
the suite's own superuser paths, after their own checks.
"""

from collections import defaultdict

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

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
LOG_ACCESS = ("create_uid", "create_date", "write_uid", "write_date")
# inconsistencies named in the error (the ORM names five too)
MAX_REPORTED = 5


# ---------------------------------------------------------------------- public API
def bulk_insert(model, vals_list, defaults=None, skip_existing=None):
    """Insert ``vals_list`` (column values, one dict per row) into the model's table in one statement.

    ``defaults`` gives the values a row leaves out, else the field's default (``default_get``,
    once for all the rows); the log-access columns are filled like the ORM fills them. Stored
    computed fields of the new rows are computed afterwards, as after ``create``.

    ``skip_existing`` names the columns of a unique index of the table: a row whose values of
    those columns are already in the table is not inserted (``ON CONFLICT DO NOTHING``), which
    spares reading the table first. Its id in the result is ``None``.

    :return: the new ids, in the order of ``vals_list``
    """
    if not vals_list:
        return []
    env = model.env
    given = {name for vals in vals_list for name in vals} | set(defaults or ())
    # the fields' own defaults, as create() applies them (once for all the rows)
    missing = [
        name
        for name, field in model._fields.items()
        if name not in given
        and field.store
        and field.default
        and field.type in ARRAY_TYPES
        and not field.translate
        and name not in LOG_ACCESS
        and not field.company_dependent
    ]
    base = model.default_get(missing) | _log_access_values(model, create=True) | (defaults or {})
    names = sorted(given | set(base))
    converters = {name: _converter(model, name) for name in names}
    columns = {name: [converters[name](vals.get(name, base.get(name))) for vals in vals_list] for name in names}
    _flush(model, names)
    _check_companies(model, None, columns)
    keys = list(skip_existing or ())
    rows = env.execute_query(
        SQL(
            "INSERT INTO %s (%s) SELECT * FROM unnest(%s) %s RETURNING %s",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(name) for name in names),
            SQL(", ").join(_arrays(model, {name: columns[name] for name in names})),
            SQL("ON CONFLICT DO NOTHING") if keys else SQL(),
            SQL(", ").join(SQL.identifier(name) for name in ["id", *keys]),
        )
    )
    if not keys:
        ids = [row[0] for row in rows]
    else:
        # rows skipped: None in the result; the columns keep only the rows inserted
        inserted = {tuple(row[1:]): row[0] for row in rows}
        ids = [inserted.get(tuple(columns[key][index] for key in keys)) for index in range(len(vals_list))]
        kept = [index for index, id_ in enumerate(ids) if id_]
        columns = {name: [values[index] for index in kept] for name, values in columns.items()}
        if not kept:
            return ids
    records = model.browse([id_ for id_ in ids if id_])
    for name in names:
        env.cache.update(records, model._fields[name], columns[name])
    # the columns left out are empty, as create() knows (it spares reading them back)
    for field in model._fields.values():
        if field.store and field.column_type and not field.compute and field.name not in columns:
            if field.type in ARRAY_TYPES and not field.translate and not field.company_dependent:
                env.cache.update(records, field, [field.convert_to_cache(None, model)] * len(records))
    _invalidate_inverses(model, names)
    # what create() marks: the stored computed fields of the new rows, and what depends on them
    records.modified(model._fields, create=True)
    # a stored computed field given a value keeps it, as in create() (protected from its compute)
    for name in names:
        field = model._fields[name]
        if field.compute and field.store:
            env.remove_to_compute(field, records)
    records._validate_fields(names)
    bulk_recompute(model, names)
    return ids


def bulk_update(model, values_by_id):
    """Write ``{id: {field: value}}`` (the same fields for every id) in one UPDATE.

    The dependants of the written fields follow (``modified()``), as after ``write``.
    """
    if not values_by_id:
        return
    env = model.env
    ids = list(values_by_id)
    names = sorted(values_by_id[ids[0]])
    converters = {name: _converter(model, name) for name in names}
    columns = {name: [converters[name](values_by_id[record_id][name]) for record_id in ids] for name in names}
    records = model.browse(ids)
    _flush(model, names)
    _check_companies(model, ids, columns)
    written = [model._fields[name] for name in names]
    # what depended on the old relations must be recomputed too (write() does the same)
    records.modified([field.name for field in written if model.pool.is_modifying_relations(field)], before=True)
    log_access = _log_access_values(model)
    _execute_update(model, ids, columns, log_access)
    for field in written:
        env.remove_to_compute(field, records)
        env.cache.update(records, field, columns[field.name])
    for name, value in log_access.items():
        env.cache.update(records, model._fields[name], [value] * len(ids))
    _invalidate_inverses(model, names)
    records.modified(names)
    records._validate_fields(names)
    bulk_recompute(model, names)


def bulk_link(model, name, pairs):
    """Add the links ``[(record id, target id)]`` to the many2many field ``name``, in one statement
    (links already there are left as they are).

    The field's cache and its inverse's are invalidated and what depends on them follows, as after
    ``write`` with ``Command.link``.
    """
    if not pairs:
        return
    field = model._fields.get(name)
    if not field or field.type != "many2many" or not field.store:
        raise UserError(model.env._("%(field)s of %(model)s cannot be linked in bulk.", field=name, model=model._name))
    env = model.env
    record_ids = [record_id for record_id, _target in pairs]
    target_ids = [target_id for _record, target_id in pairs]
    _flush(model, [name])
    _check_companies(model, record_ids, {name: target_ids})
    env.execute_query(
        SQL(
            "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s::int4[], %s::int4[]) ON CONFLICT DO NOTHING",
            SQL.identifier(field.relation),
            SQL.identifier(field.column1),
            SQL.identifier(field.column2),
            record_ids,
            target_ids,
        )
    )
    records = model.browse(dict.fromkeys(record_ids))
    targets = env[field.comodel_name].browse(dict.fromkeys(target_ids))
    env.cache.invalidate(
        [(field, records._ids)] + [(inverse, targets._ids) for inverse in model.pool.field_inverses[field]]
    )
    records.modified([name])
    for inverse in model.pool.field_inverses[field]:
        targets.modified([inverse.name])
    records._validate_fields([name])
    bulk_recompute(model, [name])


def bulk_recompute(model, names):
    """Recompute what depends on the fields ``names`` of ``model`` and is marked to compute (stored
    computed fields, of any model), and write it in one statement per model and set of fields.

    What the ORM's flush does (``BaseModel._flush``, ``_write_multi``), writing a column array
    per field where the flush writes 100 rows per statement. Fields the layer cannot write
    (translated, per company) are left to the ORM's flush.
    """
    env, registry = model.env, model.pool
    fields_ = {dependant for name in names for dependant in registry.get_dependent_fields(model._fields[name])}
    recomputed = set()
    for _round in range(10):  # a recomputed field marks its own dependants (a score after its risk)
        pending = [
            field
            for field in fields_
            if field.compute and env.transaction.tocompute.get(field) and _flushable(env, field)
        ]
        if not pending:
            break
        for field in pending:
            env[field.model_name]._recompute_model([field.name])
            recomputed.add(field)
            fields_.update(registry.get_dependent_fields(field))
    by_model = defaultdict(list)
    for field in recomputed:
        by_model[field.model_name].append(field)
    for model_name, model_fields in by_model.items():
        _flush_dirty(env[model_name], model_fields)


def reserve_sequence_numbers(sequence, count):
    """The next ``count`` references of ``sequence`` (an ``ir.sequence``), drawn in one query where
    the sequence allows it (standard implementation, no date ranges), else one by one."""
    if count <= 0:
        return []
    if sequence.implementation != "standard" or sequence.use_date_range:
        return [sequence._next() for _index in range(count)]
    numbers = sequence.env.execute_query(
        SQL(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            f"ir_sequence_{sequence.id:03d}",
            count,
        )
    )
    # what get_next_char() gives for each number, its prefix and suffix interpolated once
    prefix, suffix = sequence._get_prefix_suffix()
    return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in numbers]


# ---------------------------------------------------------------------- helpers
def _converter(model, name):
    """The function giving, for a value of field ``name``, what the ORM would store (and cache)."""
    field = model._fields.get(name)
    if (
        not field
        or not field.store
        or field.type not in ARRAY_TYPES
        or field.translate
        or field.company_dependent
        or (field.type == "many2one" and field.check_company and not _company_column(model.env[field.comodel_name]))
    ):
        raise UserError(model.env._("%(field)s of %(model)s cannot be written in bulk.", field=name, model=model._name))
    if field.type == "boolean":
        return bool
    if field.type == "integer":
        return lambda value: int(value or 0)
    if field.type == "float":
        digits = field.get_digits(model.env)
        if digits:
            return lambda value: float_round(float(value or 0.0), precision_digits=digits[1])
        return lambda value: float(value or 0.0)
    if field.type == "monetary":
        return lambda value: float(value or 0.0)
    if field.type == "date":
        return lambda value: fields.Date.to_date(value) or None
    if field.type == "datetime":
        return lambda value: fields.Datetime.to_datetime(value) or None
    return lambda value: value or None  # many2one ids, char, text, selection


def _execute_update(model, ids, columns, log_access):
    """``UPDATE ... FROM unnest(...)``: the values of ``columns`` {field: values} on ``ids``."""
    names = list(columns)
    model.env.execute_query(
        SQL(
            """
            UPDATE %(table)s t SET %(assignments)s
              FROM unnest(%(ids)s::int4[], %(columns)s) AS v(id, %(names)s)
             WHERE t.id = v.id
            """,
            table=SQL.identifier(model._table),
            assignments=SQL(", ").join(
                [SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in names]
                + [SQL("%s = %s", SQL.identifier(name), value) for name, value in log_access.items()]
            ),
            ids=ids,
            columns=SQL(", ").join(_arrays(model, columns)),
            names=SQL(", ").join(SQL.identifier(name) for name in names),
        )
    )


def _arrays(model, columns):
    return [SQL("%s::%s", values, SQL(ARRAY_TYPES[model._fields[name].type])) for name, values in columns.items()]


def _log_access_values(model, create=False):
    if not model._log_access:
        return {}
    now, uid = model.env.cr.now(), model.env.uid
    values = {"write_uid": uid, "write_date": now}
    if create:
        values.update(create_uid=uid, create_date=now)
    return values


def _company_column(model):
    """Whether ``model`` has its company in a stored ``company_id`` many2one (what the check reads)."""
    field = model._fields.get("company_id")
    return bool(field and field.store and field.type == "many2one" and model._name != "res.users")


def _flush(model, names):
    """Pending writes and computations of the model, and the company columns the check reads."""
    model.flush_model()
    for name in names:
        field = model._fields[name]
        if field.relational and field.check_company and _company_column(model.env[field.comodel_name]):
            model.env[field.comodel_name].flush_model(["company_id"])


def _check_companies(model, ids, columns):
    """Refuse values of ``check_company`` fields that belong to another company than their record.

    One query for all the fields: ``columns`` {field: values} are the values written, aligned on
    ``ids`` (the records updated; ``None`` for rows being inserted, whose company is in ``columns``).
    Writing the company itself checks every ``check_company`` field of the records.
    """
    if not _company_column(model):
        return
    checked = [
        field
        for field in model._fields.values()
        if field.relational
        and field.check_company
        and field.store
        and not field.company_dependent
        and field.type in ("many2one", "many2many")
        and (field.name in columns or (ids is not None and "company_id" in columns))
        and _company_column(model.env[field.comodel_name])
    ]
    if not checked:
        return
    count = len(next(iter(columns.values())))
    keys = list(ids) if ids is not None else list(range(count))
    if "company_id" in columns or ids is None:
        companies, record_company = columns.get("company_id", [None] * count), SQL("v.company_id")
    else:
        companies, record_company = [None] * count, SQL("r.company_id")
    branches = []
    for field in checked:
        joins = [SQL("JOIN %s r ON r.id = v.key", SQL.identifier(model._table))] if ids is not None else []
        if field.name in columns:  # the values written
            values = SQL(
                "unnest(%s::int4[], %s::int4[], %s::int4[]) AS v(key, company_id, target_id)",
                keys,
                companies,
                columns[field.name],
            )
            target = SQL("v.target_id")
        else:  # the company changes: the values the records hold
            values = SQL("unnest(%s::int4[], %s::int4[]) AS v(key, company_id)", keys, companies)
            if field.type == "many2one":
                target = SQL("r.%s", SQL.identifier(field.name))
            else:
                joins.append(
                    SQL("JOIN %s rel ON rel.%s = v.key", SQL.identifier(field.relation), SQL.identifier(field.column1))
                )
                target = SQL("rel.%s", SQL.identifier(field.column2))
        branches.append(
            SQL(
                """
                SELECT v.key, %(name)s, t.id, t.company_id, %(company)s
                  FROM %(values)s %(joins)s
                  JOIN %(table)s t ON t.id = %(target)s
                 WHERE t.company_id IS NOT NULL AND t.company_id IS DISTINCT FROM %(company)s
                """,
                name=field.name,
                company=record_company,
                values=values,
                joins=SQL(" ").join(joins),
                table=SQL.identifier(model.env[field.comodel_name]._table),
                target=target,
            )
        )
    rows = model.env.execute_query(SQL("%s LIMIT %s", SQL(" UNION ALL ").join(branches), MAX_REPORTED))
    if rows:
        raise UserError(_company_error(model, ids, rows))


def _company_error(model, ids, rows):
    env = model.env
    Company = env["res.company"].sudo()
    lines = []
    for key, name, target_id, target_company_id, company_id in rows:
        field = model._fields[name]
        lines.append(
            env._(
                "%(record)s (company %(company)s) cannot take %(value)s as %(field)s: it belongs to %(other)s.",
                record=model.browse(key).sudo().display_name
                if ids is not None
                else env._("A new %(model)s", model=model._description),
                company=Company.browse(company_id).name if company_id else env._("none"),
                value=env[field.comodel_name].browse(target_id).sudo().display_name,
                field=field._description_string(env),
                other=Company.browse(target_company_id).name,
            )
        )
    return "\n".join([env._("Incompatible companies: nothing was written."), *lines])


def _flushable(env, field):
    model = env[field.model_name]
    return (
        field.store
        and field.column_type
        and field.type in ARRAY_TYPES
        and not field.translate
        and not field.company_dependent
        and not model._abstract
        and not (model._parent_store and field.name == model._parent_name)
    )


def _flush_dirty(model, model_fields):
    """Write the dirty cache values of ``model_fields`` in one UPDATE per set of fields."""
    env = model.env
    dirty = {field: set(env.cache.clear_dirty_field(field)) for field in model_fields}
    groups = defaultdict(list)  # {fields: ids}
    for record_id in sorted({record_id for ids in dirty.values() for record_id in ids}):
        groups[tuple(field for field in model_fields if record_id in dirty[field])].append(record_id)
    log_access = _log_access_values(model)
    for group_fields, ids in groups.items():
        records = model.browse(ids)
        columns = {field.name: [env.cache.get(record, field) for record in records] for field in group_fields}
        _execute_update(model, ids, columns, log_access)
        for name, value in log_access.items():
            env.cache.update(records, model._fields[name], [value] * len(ids))


def _invalidate_inverses(model, names):
    """The one2many/many2many fields pointing back at what was written no longer match their cache."""
    model.env.cache.invalidate(
        [(inverse, None) for name in names for inverse in model.pool.field_inverses[model._fields[name]]]
    )
