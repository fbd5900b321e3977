"""The day the suite works as of: today, or the run date the engine passes down.

The engine (and the tests, and server code simulating another day) put the run date in the
``collection_date`` context key as a ``datetime.date``. Only server code can make such a value:
a caller's context over JSON-RPC, XML-RPC or the report route carries strings and numbers (and
``datetime`` values over XML-RPC), never a plain ``date``. Those are ignored, so that no caller
moves "today" for the suite: the due levels, the 30-day limit of a promise, an offer's deadline.
"""

from datetime import date

from odoo import fields


def collection_today(records):
    """The run date of the context, else today in the user's time zone.

    :param records: any recordset (its environment and context are read)
    """
    value = records.env.context.get("collection_date")
    if type(value) is date:  # noqa: E721  # a datetime (XML-RPC) is a caller's value: not a run date
        return value
    return fields.Date.context_today(records)
