"""Disputes get a deadline (``date_deadline``) from the company's service level from 18.0.2.1.0 on.

The disputes open at the upgrade get theirs as if the service level had applied when they were
opened (opening date plus the company's days, 10 by default); settled disputes keep none: they were
not held to one.
"""

from datetime import timedelta

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    disputes = env["collection.dispute"].search(
        [("state", "=", "open"), ("date_deadline", "=", False), ("date_open", "!=", False)]
    )
    # one write per deadline, not per dispute
    deadlines = disputes.grouped(
        lambda dispute: dispute.date_open + timedelta(days=dispute.company_id.collection_dispute_sla_days)
    )
    for deadline, group in deadlines.items():
        group._write_workflow({"date_deadline": deadline})
    env.flush_all()
