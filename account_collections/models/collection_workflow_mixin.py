from odoo import api, models
from odoo.exceptions import AccessError


class CollectionWorkflowMixin(models.AbstractModel):
    """Fields the workflow owns: set by the model's actions and by the engine, never by a user's
    ``create`` or ``write``.

    A model lists them once, in ``_workflow_fields``: {field name: the actions that set it}. A
    ``create``/``write`` from a user (a form, JSON-RPC, XML-RPC) that gives one of them is refused
    with an ``AccessError`` naming the field and those actions; the actions write them through
    ``_write_workflow`` once they checked the caller's rights (discount cap, write-off limit...).
    The suite's own superuser paths (the engine, crons, portal controllers) pass. A new record may
    carry a field's own default (a form sends ``state = "draft"``), and a ``default_<field>`` of
    the context must be that default too.
    """

    _name = "collection.workflow.mixin"
    _description = "Collections Workflow Fields"

    # {field name: (the methods, usually behind the form's buttons, that set it)}
    _workflow_fields = {}

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_workflow_fields(vals_list, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_workflow_fields([vals])
        return super().write(vals)

    def _write_workflow(self, vals):
        """Write workflow fields: the one path by which they change, for the actions (after their
        own checks of the caller's rights) and the engine.

        Runs as superuser, keeping the user: ``write_uid`` and the tracking messages name them.
        """
        return self.sudo().write(vals)

    def _is_workflow_default(self, name, value):
        """Whether ``value`` is the field's own default (the context's defaults left aside)."""
        field = self._fields[name]
        default = field.default(self) if field.default else False
        try:
            return field.convert_to_cache(value, self, validate=False) == field.convert_to_cache(
                default, self, validate=False
            )
        except (TypeError, ValueError):
            return False  # not even a value of the field

    def _check_workflow_fields(self, vals_list, creating=False):
        protected = self._workflow_fields
        given = set()
        for vals in vals_list:
            given.update(
                name
                for name in protected.keys() & vals.keys()
                if not (creating and self._is_workflow_default(name, vals[name]))
            )
        if creating:
            context = self.env.context
            given.update(
                name
                for name in protected
                if f"default_{name}" in context and not self._is_workflow_default(name, context[f"default_{name}"])
            )
        if not given:
            return
        names = sorted(given)
        actions = list(dict.fromkeys(action for name in names for action in protected[name]))
        raise AccessError(
            self.env._(
                "%(model)s %(records)s: %(fields)s cannot be set by create or write, the workflow sets it. "
                "Use %(actions)s instead.",
                model=self._description,
                records=", ".join(self.mapped("display_name")) if self and not creating else self.env._("(new)"),
                fields=", ".join(f"{self._fields[name].string} ({name})" for name in names),
                actions=", ".join(actions),
            )
        )
