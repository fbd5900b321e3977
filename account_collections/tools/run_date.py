"""The day the suite works as of: today, or the run date the engine passes down.

The engine (and the tests, and server code simulating another day) put the run date in the
``collection_date`` context key as a ``datetime.date``. Only server code can make such a value:
a caller's context over JSON-RPC, XML-RPC or the report route carries strings and numbers (and
``datetime`` values over XML-RPC), never a plain ``date``. Those are ignored, so that no caller
moves "today" for the suite: the due levels, the 30-day limit of a promise, an offer's deadline.
"""

from datetime import date

from odoo import fields
from odoo.exceptions import UserError


def collection_today(records):
    """The run date of the context, else today in the user's time zone.

    :param records: any recordset (its environment and context are read)
    """
    value = records.env.context.get("collection_date")
    if type(value) is date:  # noqa: E721  # a datetime (XML-RPC) is a caller's value: not a run date
        return value
    return fields.Date.context_today(records)


# dates a caller may pass: far enough for any simulation, near enough that the day arithmetic
# of the engine and the reports (years back, months ahead) stays within Python's calendar
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)


def check_date(env, value, what):
    """The date ``value`` (ISO string or date) a caller passed, else a ``UserError`` saying why.

    :param what: the parameter and method, for the message (e.g. "Aged receivables")
    :return: a ``date``, or ``None`` when ``value`` is empty
    """
    if not value:
        return None
    try:
        day = fields.Date.to_date(value)
    except (TypeError, ValueError):
        day = None
    if day is None or not FIRST_DATE <= day <= LAST_DATE:
        raise UserError(
            env._(
                "%(what)s: %(value)s is not a date in ISO form (YYYY-MM-DD) from %(first)s to %(last)s.",
                what=what,
                value=repr(value)[:60],
                first=FIRST_DATE,
                last=LAST_DATE,
            )
        )
    return day
