"""Screenshots of the browser tours for the documentation.

Set ``COLLECTIONS_SCREENSHOTS=1`` when running the tour tests to (re)write ``docs/<name>.png``
at the root of the repository, taken when a tour has succeeded, before the browser closes.
Without it the tours run as usual and nothing is written.
"""

import base64
import io
import logging
import os
from pathlib import Path
from unittest.mock import patch

from PIL import Image

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


def _small_png(data):
    """The screenshot as a 256-colour optimised PNG: a few dozen KB instead of a few hundred."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class TourScreenshotMixin:
    """For HttpCase: ``start_tour_screenshot(url, tour, name, ...)`` runs a tour and keeps its last screen."""

    browser_size = "1280x800"

    def start_tour_screenshot(self, url_path, tour_name, screenshot_name, **kwargs):
        if not os.environ.get("COLLECTIONS_SCREENSHOTS"):
            return self.start_tour(url_path, tour_name, **kwargs)
        stop = ChromeBrowser.stop
        target = DOCS_DIR / f"{screenshot_name}.png"

        def stop_after_screenshot(browser):
            result = browser._result
            if result.done() and not result.cancelled() and result.exception() is None:
                try:
                    shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"}, timeout=30)
                    DOCS_DIR.mkdir(exist_ok=True)
                    target.write_bytes(_small_png(base64.b64decode(shot["data"])))
                    _logger.info("Screenshot of tour %s saved to %s", tour_name, target)
                except Exception:
                    _logger.exception("Could not take the screenshot of tour %s", tour_name)
            return stop(browser)

        with patch.object(ChromeBrowser, "stop", stop_after_screenshot):
            return self.start_tour(url_path, tour_name, **kwargs)
