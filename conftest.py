"""Test-session set-up shared by every test directory of the repository."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _odoo_statics_loaded():
    """Read every addon manifest once, before any browser test starts its HTTP server.

    Odoo reads them lazily on the first static request (``odoo.http.root.statics``), in the
    request's thread; a browser fires many requests at once, and Python 3.11's parser is not
    safe when several threads parse at the same moment ("AST constructor recursion depth
    mismatch"), which fails the page's assets at random under load.
    """
    from odoo import http  # Odoo is configured by pytest-odoo before fixtures run

    http.root.statics  # noqa: B018  # lazy property: computing it is the point
