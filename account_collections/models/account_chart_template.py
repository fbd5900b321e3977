from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """A chart of accounts just loaded: give the company the collections settings it lacks
        (bad-debt account, write-off journal...), see ``res.company._collection_setup_defaults``."""
        result = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._collection_setup_defaults()
        return result
