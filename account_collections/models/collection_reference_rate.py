from datetime import date

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

# the statutory interest regimes (the company's setting and the table of reference rates)
INTEREST_REGIMES = [("eu", "EU late payment directive"), ("uk", "UK late payment act")]


class CollectionReferenceRate(models.Model):
    """The central bank reference rate of a statutory interest regime for one half-year.

    EU (Directive 2011/7): the ECB main refinancing rate in force on 1 January or 1 July.
    UK (Late Payment Act): the Bank of England base rate in force on 31 December or 30 June,
    for the half-year that follows. Either way one rate holds for the whole half-year.
    """

    _name = "collection.reference.rate"
    _description = "Statutory Interest Reference Rate"
    _order = "regime, date_from desc"
    _rec_name = "date_from"

    regime = fields.Selection(
        selection=INTEREST_REGIMES,
        string="Statutory Interest",
        required=True,
        help="The statutory interest regime (company setting) this rate belongs to.",
    )
    date_from = fields.Date(
        string="Half-year From",
        required=True,
        help="First day of the half-year the rate applies to: 1 January or 1 July.",
    )
    rate = fields.Float(
        string="Reference Rate (%)",
        digits=(5, 2),
        help="EU: the ECB main refinancing rate in force on 1 January or 1 July. "
        "UK: the Bank of England base rate on 31 December or 30 June, for the half-year that follows. "
        "The company's margin is added to it.",
    )

    _sql_constraints = [
        (
            "regime_date_uniq",
            "unique(regime, date_from)",
            "A half-year has one reference rate per regime: edit the existing rate instead.",
        ),
    ]

    @api.constrains("date_from")
    def _check_date_from(self):
        for rate in self:
            if (rate.date_from.month, rate.date_from.day) not in ((1, 1), (7, 1)):
                raise ValidationError(
                    self.env._(
                        "The reference rate of %(date)s must start a half-year: use 1 January or 1 July.",
                        date=format_date(self.env, rate.date_from),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _rates_by_half_year
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()  # _rates_by_half_year
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _rates_by_half_year
        return super().unlink()

    @tools.ormcache("regime")
    def _rates_by_half_year(self, regime):
        # the engine reads the table for every charged case: cached, cleared when a rate changes
        rates = self.sudo().search_read([("regime", "=", regime)], ["date_from", "rate"])
        return {rate["date_from"]: rate["rate"] for rate in rates}

    @api.model
    def _half_years(self, start, end):
        """(first day, end) of each half-year piece of the period ``start`` to ``end``."""
        pieces = []
        while start < end:
            following = date(start.year, 7, 1) if start.month < 7 else date(start.year + 1, 1, 1)
            pieces.append((start, min(following, end)))
            start = following
        return pieces

    @api.model
    def _segments(self, company, start, end):
        """[(start, end, reference rate)] of the period, cut where the reference rate changes.

        Each half-year takes its rate from the table of the company's regime; a half-year the table
        does not hold takes the company's hand-entered reference rate. A company without a regime
        applies its hand-entered rate to the whole period. Raises a UserError naming the half-year
        when neither gives a rate.
        """
        if not company.collection_interest_regime:
            return [(start, end, company.collection_reference_rate)] if start < end else []
        table = self._rates_by_half_year(company.collection_interest_regime)
        segments = []
        for piece_start, piece_end in self._half_years(start, end):
            half_year = date(piece_start.year, 1 if piece_start.month < 7 else 7, 1)
            rate = table.get(half_year)
            if rate is None:
                rate = company.collection_reference_rate
                if not rate:
                    raise self._missing_rate_error(company, half_year)
            if segments and segments[-1][2] == rate:
                segments[-1] = (segments[-1][0], piece_end, rate)
            else:
                segments.append((piece_start, piece_end, rate))
        return segments

    @api.model
    def _missing_rate_error(self, company, half_year):
        regimes = dict(self._fields["regime"]._description_selection(self.env))
        return UserError(
            self.env._(
                "No reference rate for the half-year from %(date)s (%(regime)s): add it under "
                "Collections > Configuration > Reference Rates, or set a fallback reference rate "
                "in the settings of %(company)s.",
                date=format_date(self.env, half_year),
                regime=regimes[company.collection_interest_regime],
                company=company.name,
            )
        )
