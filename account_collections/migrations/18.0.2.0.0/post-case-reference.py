"""Cases get their reference from the sequence ``collection.case`` from 18.0.2.0.0 on.

The cases already there keep the reference they have (``COL000123``: it is printed on the letters
sent and in the agencies' files); a case without one gets the next number of the sequence, in the
order the cases were opened.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cases = env["collection.case"].search(["|", ("name", "=", False), ("name", "=", "/")], order="id")
    if not cases:
        return
    vals_list = [{} for _case in cases]
    cases._set_references(vals_list)
    for case, vals in zip(cases, vals_list, strict=True):
        case.name = vals["name"]
    env.flush_all()
