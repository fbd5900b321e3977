import logging

from lxml import html
from markupsafe import Markup

from odoo import api, models, tools
from odoo.tools import safe_eval

_logger = logging.getLogger(__name__)


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Collections emails (context ``collection_render_once``): compile the QWeb body once,
        not once per record, then render each record with it.

        Odoo compiles an inline QWeb body again for every record it renders (the template is not
        a view, so nothing caches it): at thousands of reminders that compilation is most of the
        run. The compiled functions are the ones Odoo's own rendering uses, with the same values;
        any error falls back to the standard rendering, which reports it as usual.
        """
        if (
            not self.env.context.get("collection_render_once")
            or not template_src
            or not res_ids
            or not self._has_unsafe_expression_template_qweb(template_src, model)
            or not (
                self._unrestricted_rendering
                or self.env.is_admin()
                or self.env.user.has_group("mail.group_mail_template_editor")
            )
        ):
            return super()._render_template_qweb(template_src, model, res_ids, add_context=add_context, options=options)
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        results, compiled = {}, None
        try:
            for record in self.env[model].browse(res_ids):
                values = dict(variables, object=record)
                record_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                if compiled is None:
                    compiled = self._collection_compile_qweb(record_qweb, template_src)
                functions, def_name = compiled
                # remove the <div> wrapping the template's nodes, as the standard rendering does
                results[record.id] = Markup("".join(functions[def_name](record_qweb, values)))[5:-6]
        except Exception:  # noqa: BLE001 - the standard rendering raises the proper error
            _logger.debug("Rendering once per call failed, rendering record by record", exc_info=True)
            return super()._render_template_qweb(template_src, model, res_ids, add_context=add_context, options=options)
        return results

    @tools.ormcache(
        "template_src",
        "tuple(qweb.env.context.get(key) for key in qweb._get_template_cache_keys())",
        cache="templates",
    )
    def _collection_compile_qweb(self, qweb, template_src):
        """The compiled functions of an inline QWeb body, kept like those of QWeb views (the source
        is part of the key: an edited template compiles anew)."""
        return qweb._compile(html.fragment_fromstring(template_src, create_parent="div"))
