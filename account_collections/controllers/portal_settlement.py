from urllib.parse import urlencode

from markupsafe import Markup

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import format_amount

from .portal import MAX_ID, CollectionsPortal


class CollectionsSettlementPortal(CollectionsPortal):
    """Settlement offers on the portal: the customer reads the offer and accepts it.

    The offer page and the accept route work with the offer's access token (the link in the
    offer email), for a logged-in customer or not; without a valid token nothing is shown and
    nothing is accepted.
    """

    def _collection_settlements(self, partner):
        # sudo: the offers of the user's own commercial partner only
        return (
            request.env["collection.settlement"]
            .sudo()
            .search([("partner_id", "=", partner.id), ("state", "in", ("offered", "accepted"))], order="deadline, id")
        )

    @http.route()
    def portal_my_collections(self, error=None, success=None, **kw):
        response = super().portal_my_collections(error=error, success=success, **kw)
        response.qcontext["settlements"] = self._collection_settlements(self._collection_partner())
        return response

    def _collection_settlement(self, settlement_id, access_token):
        """The offer if the token (or the logged-in customer) may see it, else None."""
        if not 0 < settlement_id <= MAX_ID or not isinstance(access_token, str | None):
            return None
        try:
            return self._document_check_access("collection.settlement", settlement_id, access_token)
        except (AccessError, MissingError):
            return None

    def _settlement_redirect(self, settlement, access_token, error=None, success=None):
        params = {"access_token": access_token}
        if error:
            params["error"] = error
        if success:
            params["success"] = success
        return request.redirect(f"{settlement.access_url}?{urlencode(params)}")

    @http.route("/my/collections/settlement/<int:settlement_id>", type="http", auth="public", website=True)
    def portal_collection_settlement(self, settlement_id, access_token=None, error=None, success=None, **kw):
        settlement = self._collection_settlement(settlement_id, access_token)
        if not settlement:
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "collections",
                "settlement": settlement,
                "access_token": access_token or settlement.access_token,
                "error": error,
                "success": success,
            }
        )
        return request.render("account_collections.portal_collection_settlement", values)

    @http.route(
        "/my/collections/settlement/<int:settlement_id>/accept",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_collection_settlement_accept(self, settlement_id, access_token=None, **kw):
        settlement = self._collection_settlement(settlement_id, access_token)
        if not settlement:
            return request.redirect("/my")
        if request.env.user._is_internal():
            # a collector following the customer's link: accepting is the customer's answer
            return self._settlement_redirect(
                settlement,
                access_token,
                error=request.env._("Only the customer can accept an offer here; use Mark Accepted on the offer."),
            )
        try:
            with request.env.cr.savepoint():
                settlement.action_accept(on_portal=True)
                summary = request.env._(
                    "Customer accepted settlement %(settlement)s on the portal: %(amount)s to pay by %(date)s",
                    settlement=settlement.name,
                    amount=format_amount(request.env, settlement.amount_settled, settlement.currency_id),
                    date=settlement.deadline,
                )
                collector = settlement.user_id or settlement.case_id.user_id or request.env.ref("base.user_admin")
                author = request.env.user.partner_id if not request.env.user._is_public() else settlement.partner_id
                settlement.message_post(
                    body=Markup("<p>%s</p>") % summary,
                    author_id=author.id,
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                    partner_ids=collector.partner_id.ids,
                )
        except (UserError, ValidationError) as error:
            return self._settlement_redirect(settlement, access_token, error=str(error))
        return self._settlement_redirect(
            settlement,
            access_token,
            success=request.env._(
                "Thank you: you accepted our offer. Please pay %(amount)s by %(date)s to settle these invoices.",
                amount=format_amount(request.env, settlement.amount_settled, settlement.currency_id),
                date=settlement.deadline,
            ),
        )
