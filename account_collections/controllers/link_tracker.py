from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request
from odoo.tools import consteq

# record ids are PostgreSQL integers
MAX_ID = 2**31 - 1


class CollectionsLinkTracker(http.Controller):
    @http.route("/r/<string:code>/c/<int:event_id>/<string:token>", type="http", auth="public")
    def collection_link_redirect(self, code, event_id, token, **post):
        """A tracked link of a reminder or statement: Odoo's ``/r/<code>``, the click logged on
        the event the link names when its signature holds (see ``engine/track_links.py``)."""
        engine = request.env["collection.engine"].sudo()
        signed = 0 < event_id <= MAX_ID and consteq(token, engine._link_token(event_id, code))
        if signed and not request.env["ir.http"].is_a_bot():
            request.env["link.tracker.click"].sudo().add_click(
                code,
                ip=request.httprequest.remote_addr,
                country_code=request.geoip.country_code,
                collection_event_id=event_id,
            )
        redirect_url = request.env["link.tracker"].get_url_from_code(code)
        if not redirect_url:
            raise NotFound()
        return request.redirect(redirect_url, code=301, local=False)
