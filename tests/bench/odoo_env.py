"""Open an Odoo environment on one database from a plain script (as ``odoo shell`` does)."""

import contextlib
import logging

import odoo
from odoo.modules.registry import Registry


@contextlib.contextmanager
def odoo_env(conf, db, context=None):
    """Yield a superuser environment on ``db``; commits when the block ends without error."""
    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn", "--no-http"])
    logging.getLogger("odoo").setLevel(logging.WARNING)
    registry = Registry(db)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, context or {})
