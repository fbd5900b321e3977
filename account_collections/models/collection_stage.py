from odoo import api, fields, models, tools

STAGE_CODES = [
    ("new", "New"),
    ("reminded", "Reminded"),
    ("promised", "Promised"),
    ("plan", "Payment Plan"),
    ("disputed", "Disputed"),
    ("agency", "At Agency"),
    ("legal", "Legal"),
    ("paid", "Paid"),
    ("written_off", "Written Off"),
]
CLOSED_STAGE_CODES = ("paid", "written_off")
# cases handed over to an agency or a lawyer: they work the debt, we neither dun nor contact the
# customer, and no agreement moves the case (only the handover, the recall and the closing do)
HANDED_OVER_STAGE_CODES = ("agency", "legal")
# stages where internal dunning stops: no next level for the cases there
STOPPED_STAGE_CODES = HANDED_OVER_STAGE_CODES + CLOSED_STAGE_CODES
# stages cases enter and leave only through their wizards and the engine, never by hand
WORKFLOW_STAGE_CODES = STOPPED_STAGE_CODES
# stages a dispute may move a case out of, to the disputed stage
DISPUTABLE_STAGE_CODES = ("new", "reminded")


class CollectionStage(models.Model):
    _name = "collection.stage"
    _description = "Collection Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(
        string="Folded in Pipeline",
        help="Folded stages are collapsed in the kanban view of cases.",
    )
    code = fields.Selection(
        STAGE_CODES,
        help="Technical role of the stage: the collections engine moves cases by this "
        "code, so a stage can be renamed or reordered without breaking the flow.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "code_uniq",
            "unique(code)",
            "Each stage code can be used by only one stage: clear the code on the other stage first.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _stage_id_by_code
        return super().create(vals_list)

    def write(self, vals):
        if "code" in vals:
            self.env.registry.clear_cache()  # _stage_id_by_code
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _stage_id_by_code
        return super().unlink()

    def _get_by_code(self, code):
        """Return the stage holding the given technical code (archived stages included)."""
        return self.browse(self._stage_id_by_code(code))

    @tools.ormcache("code")
    def _stage_id_by_code(self, code):
        # the engine asks for stages by code in every batch: cached, cleared when stages change
        return self.with_context(active_test=False).search([("code", "=", code)], limit=1).id
