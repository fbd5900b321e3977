from odoo import fields, models
from odoo.tools import SQL


class CollectionAgencyReport(models.Model):
    """Agency performance: what was placed, what came back, at what cost and how fast.

    Recalled invoices are left out: the agency was not given the time to collect them."""

    _name = "collection.agency.report"
    _description = "Collection Agency Performance"
    _auto = False
    _order = "date desc"
    _rec_name = "placement_id"

    placement_id = fields.Many2one("collection.agency.placement", readonly=True)
    agency_id = fields.Many2one("collection.agency", readonly=True)
    agency_type = fields.Selection([("collection", "Collection Agency"), ("legal", "Law Firm")], readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    date = fields.Date(string="Placement Date", readonly=True)
    status = fields.Selection(
        selection=lambda self: self.env["collection.agency.placement.line"]._fields["status"].selection,
        readonly=True,
    )
    line_count = fields.Integer(string="Invoices Placed", readonly=True)
    amount_placed = fields.Monetary(string="Placed", readonly=True)
    amount_recovered = fields.Monetary(string="Recovered", readonly=True)
    commission = fields.Monetary(readonly=True)
    amount_net = fields.Monetary(string="Net Recovered", readonly=True, help="Recovered minus commission.")
    recovery_rate = fields.Float(
        string="Recovery Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Recovered / placed, weighted by the amounts placed.",
    )
    days_to_recover = fields.Float(
        string="Days to Recover",
        readonly=True,
        aggregator="avg",
        help="Average days between placement and full recovery, over the invoices paid to the agency.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT l.id,
                   l.placement_id,
                   l.agency_id,
                   a.agency_type,
                   l.company_id,
                   c.currency_id,
                   l.partner_id,
                   l.invoice_id,
                   p.date,
                   l.status,
                   1 AS line_count,
                   COALESCE(l.amount_placed_company, 0) AS amount_placed,
                   COALESCE(l.amount_recovered_company, 0) AS amount_recovered,
                   COALESCE(l.commission_company, 0) AS commission,
                   COALESCE(l.amount_recovered_company, 0) - COALESCE(l.commission_company, 0) AS amount_net,
                   CASE WHEN COALESCE(l.amount_placed_company, 0) != 0
                        THEN 100.0 * COALESCE(l.amount_recovered_company, 0) / l.amount_placed_company
                        ELSE 0 END AS recovery_rate,
                   CASE WHEN l.status = 'paid' AND l.status_date IS NOT NULL
                        THEN l.status_date - p.date END AS days_to_recover
              FROM collection_agency_placement_line l
              JOIN collection_agency_placement p ON p.id = l.placement_id
              JOIN collection_agency a ON a.id = l.agency_id
              JOIN res_company c ON c.id = l.company_id
             WHERE l.status != 'recalled'
            """
        )

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec == "recovery_rate:avg":
            # weighted by the amounts placed, not the average of the invoices' rates
            return SQL(
                "COALESCE(100.0 * SUM(%(recovered)s) / NULLIF(SUM(%(placed)s), 0), 0)",
                recovered=self._field_to_sql(self._table, "amount_recovered", query),
                placed=self._field_to_sql(self._table, "amount_placed", query),
            )
        return super()._read_group_select(aggregate_spec, query)
