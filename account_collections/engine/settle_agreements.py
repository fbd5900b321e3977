"""Step: settle the agreements before the levels run.

The agreements that hold invoices out of dunning move their states first (a promise kept or
broken, a plan completed or broken, a settlement offer paid or lapsed, a dispute resolved by a
payment), so that the levels then see what is really left to dun. Then the customers' payment
behaviour, risk score and the policy of the assignment rules follow what just happened (a broken
promise counts in the risk).

Each agreement model settles itself in one method, ``_engine_settle(run)``; they run in the
order of ``AGREEMENTS``. The agreements run with the run date in the ``collection_date`` context
key for Odoo's callbacks into the cases' day-dependent computes (``days_overdue``,
``dunning_invoice_ids``) while they move cases and invoices.
"""

# The agreements that hold invoices, in the order they settle. It is the order the run has always
# had (the agreements' hooks ran in the import order of ``models/__init__.py``: dispute, plan,
# promise, settlement), kept so that a run settles as it did before:
# - disputes first: a settlement offer may stand on a disputed invoice (the one pair of
#   agreements that coexist, ``account_move.COEXISTING_HOLDS``); the dispute of an invoice paid
#   in full resolves before the offer on it is settled;
# - plans and promises each stand alone on their invoices: their order between them does not
#   change what either decides;
# - settlement offers last: a paid offer writes off the remainder and may close its case, once
#   the promises and plans on the case's other invoices were settled.
AGREEMENTS = (
    "collection.dispute",
    "collection.payment.plan",
    "collection.promise",
    "collection.settlement",
)


class SettleAgreementsStep:
    """Step: the agreements that hold invoices move their states before levels run."""

    # a mixin of the model: no instance dict, like the model (models.BaseModel.__slots__)
    __slots__ = ()

    def _settle_agreements(self, run):
        """Settle the agreements of ``run.companies`` in the order of ``AGREEMENTS``, then the
        customers' behaviour. The SMS addon then reminds the open promises coming due."""
        for model_name in AGREEMENTS:
            # sudo: the run settles every agreement of its companies, whoever launched it
            self.env[model_name].sudo().with_context(collection_date=run.today)._engine_settle(run)
        self._settle_behaviour(run)

    def _settle_behaviour(self, run):
        """After the promises and plans settled (broken promises count in the risk), recompute the
        behaviour of the customers that changed, their risk and their automatic policy."""
        # sudo: behaviour is derived from accounting data only
        return self.env["res.partner"].sudo()._recompute_collection_behaviour(run.companies, run.today)
