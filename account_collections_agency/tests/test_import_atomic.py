"""A status file is applied whole or not at all, even when applying it fails on its last step.

The file below is valid: both lines pass validation, so the import books the remittances, writes
the placement lines, logs the events and only then, on its last line, posts the summary on the
placement's chatter. That post is made to fail here. Nothing is rolled back by the test itself
(no assertRaises, whose savepoint would hide a half-applied file): the checks see what the
failed import left in the transaction.
"""

import base64
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import parse_qs, urlparse

from odoo import http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common_import import AgencyImportCommon

FAILURE = "The mail server refused the message"


@tagged("post_install", "-at_install")
class TestImportAtomic(AgencyImportCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency_user = mail_new_test_user(
            cls.env,
            login="agency_atomic",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.agency.user_ids = cls.agency_user

    def _remittance_file(self):
        today = str(self.today)
        return self._csv(
            [
                [self.invoice_a.name, "partial", "400", today, "First instalment"],
                [self.invoice_b.name, "paid", "500", today, "Paid in full"],
            ]
        )

    @contextmanager
    def _last_step_fails(self):
        """The import's last step, the summary posted on the placement, raises."""
        Placement = type(self.env["collection.agency.placement"])
        original = Placement.message_post
        calls = []

        def message_post(placement, *args, **kwargs):
            if "imported" in str(kwargs.get("body", "")):
                calls.append(placement.id)
                raise UserError(FAILURE)
            return original(placement, *args, **kwargs)

        with patch.object(Placement, "message_post", message_post):
            yield calls
        self.assertEqual(calls, [self.placement.id], "the import reached its last step, then failed")

    def _assert_nothing_applied(self, before):
        self.assertEqual(self._state(), before, "nothing of the file is applied")
        self.assertEqual(self._line(self.invoice_a).status, "placed")
        self.assertFalse(self.placement.import_ids)
        self.assertEqual((self.invoice_a.amount_residual, self.invoice_b.amount_residual), (1000.0, 500.0))

    def test_import_file_fails_on_its_last_step_and_applies_nothing(self):
        before = self._state()
        with self._last_step_fails(), self.assertRaisesInPlace(UserError, FAILURE):
            self.placement.import_file(self._remittance_file(), "remittance.csv")
        self._assert_nothing_applied(before)
        # the same file imports once the fault is gone: it was not recorded as imported
        self.assertEqual(self.placement.import_file(self._remittance_file(), "remittance.csv")["applied"], 2)
        self.assertEqual(self._line(self.invoice_a).amount_recovered, 400.0)

    def test_wizard_import_fails_on_its_last_step_and_applies_nothing(self):
        action = self.placement.with_user(self.collection_manager).action_import_status()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.collection_manager)
            .with_context(**action["context"])
            .create({"file": self._remittance_file(), "filename": "remittance.csv"})
        )
        before = self._state()
        with self._last_step_fails(), self.assertRaisesInPlace(UserError, FAILURE):
            wizard.action_import()
        self._assert_nothing_applied(before)

    def test_collector_imports_a_remittance_through_the_wizard(self):
        """A Collections User (not a manager) imports the agency's remittance: lines, payment and
        the import's record are booked for them."""
        action = self.placement.with_user(self.collector).action_import_status()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create({"file": self._remittance_file(), "filename": "remittance.csv"})
        )
        wizard.action_import()
        file_import = self.env["collection.agency.import"].search([("placement_id", "=", self.placement.id)])
        self.assertEqual(len(file_import), 1)
        self.assertTrue(file_import.payment_ids, "the remittance is booked as a payment")
        self.assertTrue(file_import.line_ids.payment_id)

    def test_portal_upload_fails_on_its_last_step_and_applies_nothing(self):
        self.authenticate("agency_atomic", "agency_atomic")
        before = self._state()
        with self._last_step_fails():
            response = self.url_open(
                f"/my/placements/{self.placement.id}/update",
                data={"csrf_token": http.Request.csrf_token(self)},
                files={"status_file": ("remittance.csv", base64.b64decode(self._remittance_file()), "text/csv")},
            )
        self.assertEqual(response.status_code, 200)
        self.assertIn(FAILURE, parse_qs(urlparse(response.url).query).get("error", [""])[0])
        self._assert_nothing_applied(before)
