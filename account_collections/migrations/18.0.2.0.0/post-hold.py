"""Holds derived from the agreements.

Up to 18.0.1.0.0 the agreements wrote ``account.move.collection_hold`` themselves; it is now a
stored field computed from the promises, payment plans, settlement offers and disputes standing on
the invoice. The module update keeps the column as it is (Odoo computes a stored field on its own
only when it creates the column), so this script recomputes it.

Which invoices: those holding before the upgrade, and those a live agreement stands on. Any other
invoice had no hold and gets none, so this is the same as recomputing every invoice, without
reading them all. The value is written only where it changes; on consistent data it changes
nowhere. An invoice whose hold the agreements do not explain (left so by earlier code, e.g. a
settlement offer's hold cleared by the end of a dispute) gets the hold of its agreements, and is
named in the log.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import split_every

from odoo.addons.account_collections.models.account_move import HOLD_SOURCES

_logger = logging.getLogger(__name__)

BATCH = 10000
LOGGED = 50  # invoices named in the log, at most


def recompute_holds(env):
    """Recompute the hold of every invoice from the agreements standing on it.

    :return: {invoice id: (hold before, hold after)} of the invoices whose hold changed
    """
    Move = env["account.move"].sudo().with_context(active_test=False)
    Move.flush_model(["collection_hold"])
    invoice_ids = set(Move.search([("collection_hold", "!=", False)]).ids)
    for _hold, model, field, states in HOLD_SOURCES:
        agreements = env[model].sudo().with_context(active_test=False).search([("state", "in", states)])
        invoice_ids.update(agreements[field].ids)
    hold_field = Move._fields["collection_hold"]
    changed = {}
    for batch in split_every(BATCH, sorted(invoice_ids)):
        invoices = Move.browse(batch)
        before = dict(zip(invoices.ids, invoices.mapped("collection_hold"), strict=True))
        env.add_to_compute(hold_field, invoices)
        invoices._recompute_recordset(["collection_hold"])
        changed.update(
            (invoice.id, (before[invoice.id], invoice.collection_hold))
            for invoice in invoices
            if invoice.collection_hold != before[invoice.id]
        )
        invoices.flush_recordset(["collection_hold"])
        env.invalidate_all()
    return changed


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    changed = recompute_holds(env)
    if changed:
        shown = list(changed)[:LOGGED]
        names = {move.id: move.display_name for move in env["account.move"].browse(shown)}
        _logger.warning(
            "collection_hold: %s invoices were held otherwise than their agreements say and now follow them: %s%s",
            len(changed),
            ", ".join(
                f"{names[move_id]} ({changed[move_id][0] or 'none'} -> {changed[move_id][1] or 'none'})"
                for move_id in shown
            ),
            ", ..." if len(changed) > LOGGED else "",
        )
    else:
        _logger.info("collection_hold: every hold follows the agreements standing on its invoice")
