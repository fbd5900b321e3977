from odoo import api, fields, models


class LinkTrackerClick(models.Model):
    _inherit = "link.tracker.click"

    collection_event_id = fields.Many2one(
        "collection.event",
        string="Collections Event",
        index="btree_not_null",
        ondelete="set null",
        help="The reminder or statement whose link was opened.",
    )

    def _prepare_click_values_from_route(self, **route_values):
        values = super()._prepare_click_values_from_route(**route_values)
        if not self.env.su:
            # only the signed link's route names the event (see controllers/link_tracker.py)
            values.pop("collection_event_id", None)
        return values

    @api.model
    def add_click(self, code, **route_values):
        """Odoo's click on a tracked link; a link of a reminder or a statement is logged on its case."""
        click = super().add_click(code, **route_values)
        if click and click.collection_event_id:
            # sudo: the log is the system's, whoever opened the link
            self.env["collection.event"].sudo()._log_link_clicks(click)
        return click
