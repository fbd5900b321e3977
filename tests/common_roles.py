"""Set-up shared by the role tests: one record of every model that has public methods, and the
call of each public method of ``roles.DECISIONS`` with harmless arguments.

Portal and agency users call over ``/web/dataset/call_kw`` exactly as a browser or a script
would; the collector runs each method with ``with_user`` inside a savepoint (the methods really
run: they post, send and import, which a test case rolls back but an HTTP request would commit
in its own way).
"""

import base64
import json
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase

from odoo.addons.account_collections_agency.tests.placement_common import PlacementCommon

from .roles import DECISIONS

REFUSED, ALLOWED = "refused", "allowed"

# arguments of the methods that take some (after the record ids): (args, kwargs)
ARGUMENTS = {
    ("collection.case", "run_collections"): ([], {"date": "2099-12-31"}),
    ("collection.case", "action_pause"): (["2099-01-01"], {}),
    ("collection.case", "action_log_call"): (["reached"], {"note": "Called"}),
    ("collection.promise", "action_cancel"): ([], {"reason": "Changed our mind"}),
    ("collection.settlement", "action_cancel"): ([], {"reason": "Changed our mind"}),
    ("account.move", "write"): ([{"ref": "Changed"}], {}),  # Odoo's write of nothing returns at once
    ("link.tracker.click", "add_click"): (["nocode"], {}),
    ("collection.agency.placement", "import_file"): (
        [base64.b64encode(b"invoice_number,status\r\n").decode(), "status.csv"],
        {},
    ),
}
ORM_ARGUMENTS = {"create": ([{}], {}), "write": ([{}], {}), "unlink": ([], {}), "copy_data": ([], {})}


class RolesCommon(PlacementCommon, HttpCase):
    """A company with a case at every step: promise, plan, settlement, dispute, write-off and
    an agency placement, and one wizard of each kind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Case = cls.env["collection.case"]
        Case.refresh_cases(company_ids=cls.company.ids)
        cls.case = Case.search([("partner_id", "=", cls.customer.id), ("state", "=", "open")])
        other_case = Case.search([("partner_id", "=", cls.other.id), ("state", "=", "open")])
        placement = cls._placement_of(other_case)
        promise = cls.env["collection.promise"].create(
            {
                "case_id": cls.case.id,
                "invoice_ids": [Command.set(cls.invoice.ids)],
                "amount": 100.0,
                "promised_date": fields.Date.today() + timedelta(days=10),
            }
        )
        plan = cls.env["collection.payment.plan"].create(
            {"case_id": cls.case.id, "invoice_ids": [Command.set(cls.invoice_2.ids)], "installment_count": 2}
        )
        settlement = cls.env["collection.settlement"].create({"case_id": cls.case.id})
        dispute = cls.env["collection.dispute"].create(
            {"case_id": cls.case.id, "invoice_id": cls.invoice.id, "reason": "other", "amount": 10.0}
        )
        write_off = cls.env["collection.write.off"].create(
            {"invoice_ids": [Command.set(cls.invoice_2.ids)], "reason": "Too small"}
        )
        cls.records = {
            "account.move": cls.invoice,
            "account.move.line": cls.invoice.line_ids[:1],
            "res.partner": cls.customer,
            "mail.notification": cls._notification(),
            "collection.case": cls.case,
            "collection.event": cls.case.event_ids[:1],
            "collection.stage": cls.env["collection.stage"]._get_by_code("new"),
            "collection.reference.rate": cls.env.ref("account_collections.reference_rate_eu_2023_01"),
            "collection.policy": cls.email_policy,
            "collection.promise": promise,
            "collection.payment.plan": plan,
            "collection.payment.plan.line": plan.line_ids[:1],
            "collection.settlement": settlement,
            "collection.dispute": dispute,
            "collection.write.off": write_off,
            "collection.agency.placement": placement,
            "collection.agency.placement.line": placement.line_ids[:1],
        }

    @classmethod
    def _notification(cls):
        message = cls.case.message_post(body="Hello", partner_ids=cls.customer.ids, message_type="comment")
        return cls.env["mail.notification"].search([("mail_message_id", "=", message.id)], limit=1)

    @classmethod
    def _placement_of(cls, case):
        """A placement of ``case`` with the agency, sent (agency users see sent placements only)."""
        wizard = (
            cls.env["collection.agency.handover"]
            .with_context(active_model="collection.case", active_ids=case.ids)
            .create({"agency_id": cls.agency.id})
        )
        placement = cls.env["collection.agency.placement"]._create_from_cases(
            cls.agency, wizard.line_ids.invoice_id, send=False
        )
        placement.sudo().state = "sent"  # the suite sends it; the fixture skips the email
        return placement

    # ------------------------------------------------------------------ wizards of a user
    def _wizard(self, model, user):
        """A wizard record of ``user`` (transient records are their creator's only)."""
        env = self.env(user=user)
        vals = {
            "collection.aged.receivable.wizard": {},
            "collection.dispute.resolve": {
                "dispute_id": self.records["collection.dispute"].id,
                "decision": "reject",
                "resolution": "Unfounded",
            },
            "collection.legal.handover": {"case_id": self.case.id, "lawyer_id": self.agency_partner.id},
            "collection.log.call": {"case_id": self.case.id, "outcome": "reached"},
            "collection.write.off.wizard": {"invoice_ids": [Command.set(self.invoice_2.ids)], "reason": "Small"},
            "collection.agency.handover": {"agency_id": self.agency.id},
            "collection.agency.import.wizard": {
                "placement_id": self.records["collection.agency.placement"].id,
                "file": base64.b64encode(b"invoice_number,status\r\n"),
                "filename": "status.csv",
            },
            "collection.agency.recall": {
                "line_ids": [Command.set(self.records["collection.agency.placement.line"].ids)],
                "reason": "Back in house",
            },
        }[model]
        if env[model].has_access("create"):
            return env[model].with_context(active_model="collection.case", active_ids=self.case.ids).create(vals)
        # a portal user cannot make one: any id will do, the group check comes first
        return self.env[model].sudo().create(vals)

    def _call(self, model, method, user):
        """(ids, args, kwargs) of a call of ``model.method`` by ``user``."""
        Model = self.env[model]
        is_model_method = getattr(getattr(type(Model), method), "_api", None) in ("model", "model_create")
        if (model, method) in ARGUMENTS:
            args, kwargs = ARGUMENTS[(model, method)]
        elif method in ORM_ARGUMENTS:
            args, kwargs = ORM_ARGUMENTS[method]
        elif method == "default_get":
            args, kwargs = [["case_id", "invoice_ids", "agency_id"]], {}
        else:
            args, kwargs = [], {}
        if is_model_method:
            return None, list(args), dict(kwargs)
        record = self.records.get(model)
        if record is None:
            record = self._wizard(model, user)
        return record.ids, list(args), dict(kwargs)

    # ------------------------------------------------------------------ the two ways of calling
    def rpc_outcome(self, model, method, user):
        """Call ``model.method`` over ``/web/dataset/call_kw`` as ``user`` (authenticated with
        ``self.authenticate`` before): ``REFUSED`` on an AccessError, else ``ALLOWED`` (with what
        came back)."""
        ids, args, kwargs = self._call(model, method, user)
        return self.rpc(model, method, ids, args, kwargs)

    def rpc(self, model, method, ids, args, kwargs=None):
        """``model.method`` over ``/web/dataset/call_kw`` (``ids`` None for a model method)."""
        payload = {
            "model": model,
            "method": method,
            "args": args if ids is None else [ids, *args],
            "kwargs": kwargs or {},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": payload}),
            headers={"Content-Type": "application/json"},
        )
        body = response.json()
        if "error" in body:
            name = body["error"]["data"]["name"]
            return (REFUSED if name == "odoo.exceptions.AccessError" else ALLOWED), body["error"]["data"]["message"]
        return ALLOWED, body.get("result")

    def user_outcome(self, model, method, user):
        """Run ``model.method`` as ``user`` in a savepoint: ``REFUSED`` on an AccessError."""
        ids, args, kwargs = self._call(model, method, user)
        Model = self.env[model].with_user(user)
        target = Model if ids is None else Model.browse(ids)
        try:
            with self.env.cr.savepoint():
                getattr(target, method)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001  # any refusal but AccessError means the call got in
            return (REFUSED if isinstance(error, AccessError) else ALLOWED), repr(error)
        return ALLOWED, None


def public_decisions(*decisions):
    """The (model, method) pairs of ``roles.DECISIONS`` with one of these decisions."""
    return sorted(key for key, decision in DECISIONS.items() if decision in decisions)
