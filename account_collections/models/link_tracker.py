from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.link_tracker.models.link_tracker import LINK_TRACKER_UNIQUE_FIELDS


class LinkTracker(models.Model):
    _inherit = "link.tracker"

    def init(self):
        result = super().init()
        # the collections look their trackers up by url (engine/track_links.py): a hash index has
        # no length limit, where a btree refuses the longest urls
        self.env.cr.execute("CREATE INDEX IF NOT EXISTS link_tracker_url_hash_index ON link_tracker USING hash (url)")
        return result

    @api.constrains(*LINK_TRACKER_UNIQUE_FIELDS)
    def _check_unicity(self):
        """Odoo's check that no two trackers share url, campaign, medium, source and label; for
        the trackers of the collections source in one query, where Odoo's builds a domain of one
        term per tracker (about a second per thousand new trackers of a dispatch batch)."""
        source = self.env.ref("account_collections.utm_source_collections", raise_if_not_found=False)
        ours = self.filtered(lambda tracker: source and tracker.source_id == source)
        super(LinkTracker, self - ours)._check_unicity()
        if not ours:
            return
        self.flush_model(list(LINK_TRACKER_UNIQUE_FIELDS))
        rows = self.env.execute_query(
            SQL(
                """
                SELECT url, MIN(id) FROM link_tracker
                 WHERE url = ANY(%(urls)s) AND source_id = %(source)s
                 GROUP BY url, campaign_id, medium_id, source_id, COALESCE(label, '')
                HAVING COUNT(*) > 1
                """,
                urls=list(set(ours.mapped("url"))),
                source=source.id,
            )
        )
        if rows:
            raise UserError(
                self.env._(
                    "A link tracker of the collections already leads to %(urls)s: reuse it instead of adding another.",
                    urls=", ".join(url for url, _tracker_id in rows[:5]),
                )
            )
