import logging
import textwrap
from datetime import datetime, time

import psycopg2
from lxml import html
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import safe_eval

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
        cache="templates",
    )
    def _collection_compile_qweb(self, qweb, template_src):
        """The compiled functions of an inline QWeb body, kept like those of QWeb views (the source
        is part of the key: an edited template compiles anew)."""
        return qweb._compile(html.fragment_fromstring(template_src, create_parent="div"))
