from odoo import models


class CollectionCase(models.Model):
    """The daily run keeps customers' payment behaviour, risk score and risk-band policy current."""

    _inherit = "collection.case"

    def _check_agreements(self, companies, today):
        """After promises and plans settled (broken promises count in the risk), recompute the
        behaviour of the customers that changed, their risk and their automatic policy."""
        res = super()._check_agreements(companies, today)
        self.env["res.partner"]._recompute_collection_behaviour(companies, today)
        return res
