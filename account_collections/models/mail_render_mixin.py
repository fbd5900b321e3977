import logging
import textwrap
import threading
from datetime import datetime, time

import psycopg2
from lxml import html
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import safe_eval

from odoo.addons.base.models.ir_qweb import T_CALL_SLOT
from odoo.addons.base.models.ir_qweb import IrQWeb as OdooIrQWeb
from odoo.addons.mail.models.mail_render_mixin import MailRenderMixin as OdooMailRenderMixin

from ..tools import GROUP_MANAGER

_logger = logging.getLogger(__name__)

# failures of the database or its connection, not of a record: the whole batch is retried
_NOT_THE_RECORDS_FAULT = (psycopg2.OperationalError, psycopg2.InterfaceError)


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Collections emails (context ``collection_render_once``): compile the QWeb body once,
        not once per record, then render each record with it.

        Odoo compiles an inline QWeb body again for every record it renders (the template is not
        a view, so nothing caches it): at thousands of reminders that compilation is most of the
        run. Each record is rendered as ``ir.qweb._render`` renders it (same values, same
        environment, the same compiled functions), only the compilation is kept; wherever that
        cannot give the same output, or on any error, Odoo's own rendering runs instead (and
        reports the error as usual). tests/test_render_equivalence.py compares both, byte for byte.
        """
        if not self._collection_can_render_once(template_src, model, res_ids, add_context, options):
            return super()._render_template_qweb(template_src, model, res_ids, add_context=add_context, options=options)
        # what mail.render.mixin._render_template_qweb does when the rendering is unrestricted...
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        IrQweb = self.env["ir.qweb"].with_context(**(options or {}))
        results = {}
        try:
            for record in self.env[model].browse(res_ids):
                # ... and ir.qweb._render for each record, the compilation aside
                values = dict(variables, object=record)
                qweb = IrQweb._prepare_environment(values)
                safe_eval.check_values(values)
                functions, def_name = self._collection_compile_qweb(qweb, template_src)
                # remove the <div> wrapping the template's nodes, as the standard rendering does
                results[record.id] = Markup("".join(functions[def_name](qweb, values)))[5:-6]
        except Exception:  # noqa: BLE001 - the standard rendering raises the proper error
            _logger.debug("Rendering once per call failed, rendering record by record", exc_info=True)
            return super()._render_template_qweb(template_src, model, res_ids, add_context=add_context, options=options)
        return results

    @api.model
    def _collection_can_render_once(self, template_src, model, res_ids, add_context, options):
        """Whether the compiled body may be kept over the records: asked for, a QWeb body (not
        Odoo's regex rendering), unrestricted rendering (no forbidden-code checks), values that
        ``ir.qweb._render`` accepts, only the rendering options Odoo knows (both are in the cache
        key), no profiling (which compiles and renders otherwise), and Odoo's own
        ``_render_template_qweb`` and ``ir.qweb._render`` in place (an addon overriding either
        must not be bypassed)."""
        thread = threading.current_thread()
        return bool(
            self.env.context.get("collection_render_once")
            and template_src
            and res_ids
            and T_CALL_SLOT not in (add_context or {})
            and not set(options or ()) - {"post_process", "preserve_comments"}
            and not self.env.context.get("profile")
            and not getattr(thread, "profiler_params", {}).get("execution_context_qweb")
            and not getattr(thread, "qweb_hooks", ())
            and self._has_unsafe_expression_template_qweb(template_src, model)
            and (
                self._unrestricted_rendering
                or self.env.is_admin()
                or self.env.user.has_group("mail.group_mail_template_editor")
            )
            and super()._render_template_qweb.__func__ is OdooMailRenderMixin._render_template_qweb
            and type(self.env["ir.qweb"])._render is OdooIrQWeb._render
        )

    def _collection_render_isolated(self, records, render):
        """``render(records)`` (a dict by record id), where a record that fails to render stops no other.

        The records are rendered together first (the fast path); only if that fails, again one by one,
        each in its own savepoint, like Odoo's mail and SMS queues send their messages. The
        Collections Managers are told of the records that failed (see ``_collection_notify_render_errors``).

        :param render: function(records) -> {record id: result}; may write (emails, messages)
        :return: ({record id: result} of the records rendered, {record id: error text} of the others)
        """
        self.ensure_one()
        if not records:
            return {}, {}
        results, errors = {}, {}

        def attempt(group):
            try:
                with self.env.cr.savepoint():
                    results.update(render(group))
            except _NOT_THE_RECORDS_FAULT:
                raise
            except Exception as error:  # noqa: BLE001 - a template's error is its records' failure, not the batch's
                return error
            return None

        error = attempt(records)
        if error and len(records) > 1:
            _logger.info("%s could not render %s records at once: rendering them one by one", self, len(records))
            failed = {record: attempt(record) for record in records}
        else:
            failed = {records: error}
        for record, error in failed.items():
            if error:
                # the first traceback tells what is wrong; the others would only repeat it
                _logger.warning("%s could not render %s", self, record, exc_info=error if not errors else False)
                errors[record.id] = self._collection_error_text(error)
        if errors:
            self._collection_notify_render_errors(records.browse(list(errors)), errors)
        return results, errors

    def _collection_error_text(self, error):
        """What went wrong, short enough for the log: the first cause (a missing field...), not the
        rendering's traceback."""
        cause = error
        while cause.__cause__ is not None or (cause.__context__ is not None and not cause.__suppress_context__):
            cause = cause.__cause__ or cause.__context__
        text = cause.args[0] if isinstance(cause, UserError) and cause.args else f"{type(cause).__name__}: {cause}"
        return textwrap.shorten(
            self.env._("%(template)s could not be rendered: %(error)s", template=self.display_name, error=text),
            500,
            placeholder="...",
        )

    def _collection_notify_render_errors(self, records, errors):
        """Tell the Collections Managers of these records' companies, once a day per template, that the
        template failed on them (the failures are on the log; the notification points at the template)."""
        managers = self.env.ref(GROUP_MANAGER).sudo().users.filtered(lambda u: u.active and not u.share)
        if "company_id" in records._fields:
            managers = managers.filtered(lambda u: u.company_ids & records.company_id)
        Message = self.env["mail.message"].sudo()
        already = Message.search_count(
            [
                ("model", "=", self._name),
                ("res_id", "=", self.id),
                ("message_type", "=", "user_notification"),
                ("date", ">=", datetime.combine(fields.Date.today(), time.min)),
            ],
            limit=1,
        )
        if not managers or already:
            return
        names = ", ".join(records[:10].mapped("display_name")) + (", ..." if len(records) > 10 else "")
        # sudo: the notification is the system's, sent whoever rendered (the cron, a collector's click)
        self.env["mail.thread"].sudo().message_notify(
            model=self._name,
            res_id=self.id,
            partner_ids=managers.partner_id.ids,
            subject=self.env._("Collections: %(template)s could not be rendered", template=self.display_name),
            body=self.env._(
                "%(count)s messages could not be rendered and were logged as failed (the others went out): "
                "%(records)s. %(error)s. Fix the template; reminders of a level are tried again at the next run.",
                count=len(records),
                records=names,
                error=next(iter(errors.values())),
            ),
        )

    @tools.ormcache(
        "template_src",
        "tuple(qweb.env.context.get(key) for key in qweb._get_template_cache_keys())",
        "bool(qweb.env.context.get('preserve_comments'))",
        cache="templates",
    )
    def _collection_compile_qweb(self, qweb, template_src):
        """The compiled functions of an inline QWeb body, kept like those of QWeb views: keyed by
        the source (an edited template compiles anew), the context keys QWeb caches views by and
        ``preserve_comments``, the one rendering option the compilation reads (the mass mailing
        composer keeps the comments, Outlook's conditionals; other renderings drop them)."""
        return qweb._compile(html.fragment_fromstring(template_src, create_parent="div"))
