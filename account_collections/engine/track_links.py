import secrets
import string

import lxml.html
from markupsafe import Markup

from odoo.tools import SQL
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX, validate_url
from odoo.tools.misc import hmac

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

from ..models.bulk_sql import bulk_update

# the route of a tracked link of the collections log (controllers/link_tracker.py)
LINK_ROUTE = "/r/%(code)s/c/%(event)s/%(token)s"
LINK_TOKEN_SCOPE = "account_collections.link"
LINK_TOKEN_LENGTH = 16
# the short code of a collections tracker: its page may carry the invoice's access token, so the
# code must be as hard to guess as that token (Odoo's own codes start at 3 characters)
LINK_CODE_LENGTH = 22
LINK_CODE_ALPHABET = string.ascii_letters + string.digits


class TrackLinksStep:
    """Step of the email dispatch: the links of the rendered reminders and statements go through
    Odoo's link tracker, so that the log shows which reminder's link the customer opened.

    One ``link.tracker`` per target page (an invoice's pay page, the overdue invoices page),
    made once and reused by every later email, as Odoo's mass mailing does; the link in each
    email names its event (``/r/<code>/c/<event id>/<token>``, the token signing both), as mass
    mailing's ``/r/<code>/m/<trace id>`` names its trace. The click, counted on the tracker as
    any, is logged on the case as an inbound event (``collection.event._log_link_clicks``).
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _track_links(self, mail_by_event):
        """Replace the links to our own pages in these emails by tracked links naming their event:
        the trackers of the batch found or made together, the emails written in one UPDATE.

        :param mail_by_event: {collection.event: mail.mail}
        """
        # what the emails and their cases hold, read together
        events = self.env["collection.event"].browse([event.id for event in mail_by_event])
        events.case_id.fetch(["company_id"])
        self.env["mail.mail"].browse([mail.id for mail in mail_by_event.values()]).fetch(["body_html"])
        found = {}  # event: (root node, [(link node, url, label)])
        for event, mail in mail_by_event.items():
            if not mail.body_html:
                continue
            base_url = event.case_id.get_base_url()
            root = lxml.html.fromstring(mail.body_html)
            nodes, links = find_links_with_urls_and_labels(
                root, base_url, skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}", skip_prefix=f"{base_url}/r/"
            )
            # our own pages only: a link to another site stays as written
            ours = [
                (node, link["url"], link["label"])
                for node, link in zip(nodes, links, strict=True)
                if link["url"].startswith(f"{base_url}/")
            ]
            if ours:
                found[event] = (root, ours)
        if not found:
            return
        titles = {url: label or url for _root, links in found.values() for _node, url, label in links}
        trackers = self._link_trackers(titles)
        codes = self._link_codes(trackers.values())
        bodies = {}
        for event, (root, links) in found.items():
            base_url = event.case_id.get_base_url()
            for node, url, _label in links:
                code = codes[trackers[url].id]
                node.set("href", base_url + self._link_path(event.id, code))
            bodies[mail_by_event[event].id] = {
                "body_html": Markup(lxml.html.tostring(root, encoding="unicode", method="xml"))
            }
        self.env.flush_all()
        bulk_update(self.env["mail.mail"], bodies)

    def _link_trackers(self, titles):
        """{url: link.tracker} of the collections source, found in one query and the missing ones
        made in one ``create`` (Odoo's ``search_or_create`` builds a domain of one term per url:
        seconds per dispatch batch).

        :param titles: {url: title of a new tracker (the link's text)}
        """
        # the urls as link.tracker stores them
        stored = {url: validate_url(url) for url in titles}
        wanted = {stored[url]: title for url, title in titles.items()}
        source = self.env.ref("account_collections.utm_source_collections")
        medium = self.env.ref("utm.utm_medium_email")
        Tracker = self.env["link.tracker"].sudo()
        Tracker.flush_model(["url", "source_id", "medium_id", "campaign_id", "label"])
        found = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT url, MIN(id) FROM link_tracker
                     WHERE url = ANY(%s) AND source_id = %s AND medium_id = %s
                       AND campaign_id IS NULL AND COALESCE(label, '') = ''
                     GROUP BY url
                    """,
                    list(wanted),
                    source.id,
                    medium.id,
                )
            )
        )
        # a title given: the tracker does not fetch the page to read its title
        missing = [url for url in wanted if url not in found]
        created = Tracker.create(
            [{"url": url, "title": wanted[url], "source_id": source.id, "medium_id": medium.id} for url in missing]
        )
        trackers = {url: Tracker.browse(tracker_id) for url, tracker_id in found.items()}
        trackers.update(zip(missing, created, strict=True))
        return {url: trackers[stored[url]] for url in titles}

    def _link_codes(self, trackers):
        """{tracker id: its short code}, in one query (``link.tracker.code`` reads one per tracker).

        A new tracker's code is replaced by a long random one (``LINK_CODE_LENGTH``), all in one
        UPDATE: the tracked page (an invoice's, with its access token) must not be found by trying
        short codes at ``/r/<code>``."""
        ids = [tracker.id for tracker in trackers]
        Code = self.env["link.tracker.code"].sudo()
        records = {}
        for record in Code.search_fetch([("link_id", "in", ids)], ["link_id", "code"]):
            records[record.link_id.id] = record  # ordered by id: the last code wins, as link.tracker's
        short = {record.id: record for record in records.values() if len(record.code) < LINK_CODE_LENGTH}
        if short:
            bulk_update(
                Code,
                {
                    code_id: {"code": "".join(secrets.choice(LINK_CODE_ALPHABET) for _i in range(LINK_CODE_LENGTH))}
                    for code_id in short
                },
            )
        return {link_id: record.code for link_id, record in records.items()}

    def _link_path(self, event_id, code):
        return LINK_ROUTE % {"code": code, "event": event_id, "token": self._link_token(event_id, code)}

    def _link_token(self, event_id, code):
        """The signature of a tracked link: the event and the tracker's code, with the database secret."""
        return hmac(self.env(su=True), LINK_TOKEN_SCOPE, (event_id, code))[:LINK_TOKEN_LENGTH]
