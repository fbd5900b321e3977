from odoo import api, fields, models

from .collection_dispute import COMMERCIAL_REASONS, DISPUTE_REASONS

DISPUTE_ROUTES = [
    ("salesperson", "Invoice Salesperson"),
    ("collector", "Collector"),
]


class CollectionDisputeRoute(models.Model):
    """Who settles a dispute of a given reason, per company: the invoice's salesperson (a
    commercial matter: price, quantity, quality, delivery) or the case's collector.

    Each company gets one route per reason at install and when it is created; a reason without a
    route follows the built-in rule (``COMMERCIAL_REASONS`` to the salesperson)."""

    _name = "collection.dispute.route"
    _description = "Collection Dispute Routing"
    _order = "company_id, sequence, id"
    _rec_name = "reason"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade", default=lambda self: self.env.company
    )
    reason = fields.Selection(DISPUTE_REASONS, required=True)
    route_to = fields.Selection(
        DISPUTE_ROUTES,
        string="Settled By",
        required=True,
        default="collector",
        help="The dispute's responsible and its activity: the invoice's salesperson (the collector when the "
        "invoice has none), or the case's collector.",
    )

    _sql_constraints = [
        (
            "reason_company_unique",
            "UNIQUE(company_id, reason)",
            "A reason has one route per company: change the existing route instead of adding another.",
        ),
    ]

    @api.model
    def _default_route(self, reason):
        return "salesperson" if reason in COMMERCIAL_REASONS else "collector"

    @api.model
    def _routes(self, companies):
        """``{(company_id, reason): route_to}`` for ``companies``, the built-in rule where a company
        has no route for a reason."""
        routes = {
            (company.id, reason): self._default_route(reason)
            for company in companies
            for reason, _label in DISPUTE_REASONS
        }
        if companies:
            for route in self.search([("company_id", "in", companies.ids)]):
                routes[route.company_id.id, route.reason] = route.route_to
        return routes

    @api.model
    def _setup_company_routes(self, companies):
        """One route per reason for each company that lacks it, following the built-in rule."""
        existing = {(route.company_id.id, route.reason) for route in self.search([("company_id", "in", companies.ids)])}
        self.create(
            [
                {
                    "company_id": company.id,
                    "reason": reason,
                    "route_to": self._default_route(reason),
                    "sequence": index,
                }
                for company in companies
                for index, (reason, _label) in enumerate(DISPUTE_REASONS)
                if (company.id, reason) not in existing
            ]
        )
