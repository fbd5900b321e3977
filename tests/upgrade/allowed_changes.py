"""What an upgrade of the collections add-ons may change in the data, and why (``make upgrade-check``).

Everything else must come out of the upgrade as it went in: every record of the ``collection.*``
tables, every field our add-ons store on Odoo's models, the invoices' amounts, the activities,
followers and messages of our records. Keep these lists short: an entry says that values of one
field legitimately change meaning or format, never that a loss is acceptable.
"""

# (model, field): why its values may differ after the upgrade
ALLOWED_CHANGES = {}

# (model, old field): (new field, why); the values are compared with the new field's
RENAMED_FIELDS = {}
