from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestPlacedCase(PlacementCommon):
    def test_paid_directly_closes_the_agency_lines(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        self._pay(self.invoice)
        self._pay(self.invoice_2)
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage_code, "paid")
        self.assertEqual(set(placement.line_ids.mapped("status")), {"paid"})
        self.assertEqual(sum(placement.line_ids.mapped("amount_recovered")), 0.0, "the agency recovered nothing")
        self.assertFalse(case.placed_agency_id)
        event = case.event_ids.filtered(lambda e: e.channel == "agency" and e.name.startswith("Paid directly"))
        self.assertEqual(event.invoice_ids, self.invoice | self.invoice_2)
        placement.action_close()
        self.assertEqual(placement.state, "closed", "nothing left for the agency: the placement closes")

    def test_partly_paid_directly_keeps_the_lines_open(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        self._pay(self.invoice_2)
        self.assertEqual(case.state, "open")
        self.assertEqual(set(placement.line_ids.mapped("status")), {"placed"}, "the case is still with the agency")

    def test_placed_case_cannot_be_dragged_out_of_the_agency_stage(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        reminded = self.env["collection.stage"]._get_by_code("reminded")
        with self.assertRaisesRegex(UserError, "placed with Recovery Ltd: recall"):
            case.with_user(self.collector).write({"stage_id": reminded.id})
        self.assertEqual(case.stage_code, "agency")
        # once recalled, the case is the collector's again
        action = placement.line_ids.action_recall()
        recall = self.env["collection.agency.recall"].with_context(**action["context"]).create({"reason": "Back"})
        recall.action_confirm()
        case.with_user(self.collector).write({"stage_id": reminded.id})
        self.assertEqual(case.stage_code, "reminded")

    def test_agreements_leave_a_placed_case_at_the_agency(self):
        case = self._case(self.customer)
        self._handover(case)
        self.assertFalse(case.next_level_id, "no next reminder while the agency works the case")
        self.assertFalse(case.next_action_date)
        promise = self._promise(self.invoice, days=5)
        self.assertEqual(self.invoice.collection_hold, "promise")
        self.assertEqual(case.stage_code, "agency", "a promise does not take the case back from the agency")
        self._run_engine(days_after=10)
        self.assertEqual(promise.state, "broken")
        self.assertEqual(case.stage_code, "agency", "its breaking does not restart internal dunning")
        self.assertFalse(case.next_level_id)
        self.assertFalse(case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id))

    def test_collector_buttons_do_not_contact_a_placed_case(self):
        case = self._case(self.customer)
        self._handover(case)
        with self.assertRaisesRegex(UserError, "is At Agency \\(Recovery Ltd\\)"):
            case.with_user(self.collector).action_send_next_reminder()
        with self.assertRaisesRegex(UserError, "is At Agency"):
            case.with_user(self.collector).action_send_statement()


@tagged("post_install", "-at_install")
class TestPlacedCasePortal(PlacementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_hotel = mail_new_test_user(
            cls.env,
            login="portal_hotel",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    def test_portal_promise_on_a_placed_invoice_points_to_the_agency(self):
        case = self._case(self.customer)
        self._handover(case)
        self.authenticate("portal_hotel", "portal_hotel")
        page = self.url_open("/my/collections").text
        self.assertIn("handled for us by Recovery Ltd", page)
        self.assertIn("cases@recovery.example.com", page)
        self.assertNotIn('action="/my/collections/promise"', page)
        date = fields.Date.context_today(self.env.user) + timedelta(days=10)
        response = self.url_open(
            "/my/collections/promise",
            data={"csrf_token": http.Request.csrf_token(self), "invoice_id": self.invoice.id, "date": str(date)},
        )
        self.assertEqual(response.status_code, 200)
        error = parse_qs(urlparse(response.url).query)["error"][0]
        self.assertIn("Recovery Ltd", error)
        self.assertIn("cases@recovery.example.com", error)
        self.assertEqual(case.stage_code, "agency")
        self.assertFalse(self.env["collection.promise"].search([("case_id", "=", case.id)]))
