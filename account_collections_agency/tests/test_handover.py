from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestHandover(PlacementCommon):
    def test_handover_places_open_invoices_and_moves_the_case(self):
        case = self._case(self.customer)
        placement = self._handover(case, user=self.collector)
        self.assertRegex(placement.name, r"^PLC/\d{4}/\d{5}$")
        self.assertEqual(placement.state, "draft")
        self.assertEqual(placement.line_ids.invoice_id, self.invoice | self.invoice_2)
        self.assertEqual(set(placement.line_ids.mapped("status")), {"placed"})
        self.assertEqual(placement.amount_placed, 1250.0)
        self.assertEqual(placement.case_ids, case)
        self.assertEqual(case.stage_code, "agency")
        self.assertEqual(case.placed_agency_id, self.agency)
        events = case.event_ids.filtered(lambda e: e.channel == "agency")
        self.assertEqual(len(events), 1)
        self.assertEqual(events.direction, "outbound")
        self.assertEqual(events.invoice_ids, self.invoice | self.invoice_2)
        self.assertIn(placement.name, events.name)
        self.assertTrue(placement.attachment_id, "the placement file is generated on confirmation")
        self.assertEqual(
            (placement.attachment_id.res_model, placement.attachment_id.res_id), (placement._name, placement.id)
        )

    def test_placed_case_gets_no_more_reminders(self):
        placed_case = self._case(self.customer)
        self._handover(placed_case)
        counts = self._run_engine()
        dunned_case = self._case(self.other)
        self.assertEqual(counts["cases"], 1, "only the case kept in house is dunned")
        self.assertTrue(dunned_case.event_ids.filtered(lambda e: e.channel == "email"))
        self.assertFalse(placed_case.event_ids.filtered(lambda e: e.channel == "email"))
        self.assertFalse(placed_case.level_id)
        self.assertEqual(placed_case.stage_code, "agency")
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "collection.case"), ("res_id", "=", placed_case.id)])
        )
        self.assertEqual(self._run_engine(days_after=40)["cases"], 1, "still nothing for the placed case later")
        self.assertFalse(placed_case.event_ids.filtered(lambda e: e.channel == "email"))

    def test_law_firm_moves_cases_to_legal(self):
        law_firm = self.agency.copy({"name": "Smith & Partners", "agency_type": "legal"})
        case = self._case(self.customer)
        self._handover(case, agency=law_firm)
        self.assertEqual(case.stage_code, "legal")
        self.assertEqual(case.legal_partner_id, law_firm.partner_id, "the core legal handover ran")
        self.assertTrue(case.legal_file_id, "the legal file is attached to the case")
        self.assertEqual(self._run_engine()["cases"], 1, "no dunning at the legal stage either")

    def test_already_placed_case_is_refused(self):
        case = self._case(self.customer)
        placement = self._handover(case)
        with self.assertRaisesRegex(UserError, "already placed with an agency.*Recall"):
            self._handover(case)
        placement.line_ids._recall("Back in house")
        second = self._handover(case)
        self.assertEqual(second.line_ids.invoice_id, self.invoice | self.invoice_2, "placeable again after recall")

    def test_disputed_promised_and_not_due_invoices_are_excluded_by_default(self):
        future = self._invoice(self.customer, -15, 80.0)
        dispute = self.env["collection.dispute"].create(
            {"case_id": self._case(self.customer).id, "invoice_id": self.invoice.id}
        )
        dispute.action_open()
        self._promise(self.invoice_2)
        case = self._case(self.customer)
        wizard = (
            self.env["collection.agency.handover"]
            .with_context(active_model="collection.case", active_ids=case.ids)
            .create({"agency_id": self.agency.id})
        )
        by_invoice = {line.invoice_id: line for line in wizard.line_ids}
        self.assertEqual(set(by_invoice), {self.invoice, self.invoice_2, future})
        self.assertEqual(by_invoice[self.invoice].warning, "disputed")
        self.assertIn(dispute.display_name, by_invoice[self.invoice].warning_message)
        self.assertEqual(by_invoice[self.invoice_2].warning, "promise")
        self.assertEqual(by_invoice[future].warning, "not_due")
        self.assertFalse(wizard.line_ids.filtered("include"))
        with self.assertRaisesRegex(UserError, "No invoice is selected"):
            wizard.action_confirm()
        # the collector decides to place the disputed invoice anyway
        placement = self._handover(case, include=self.invoice)
        self.assertEqual(placement.line_ids.invoice_id, self.invoice)

    def test_payment_plan_invoices_are_excluded_by_default(self):
        case = self._case(self.customer)
        plan = self.env["collection.payment.plan"].create(
            {
                "case_id": case.id,
                "invoice_ids": [(6, 0, self.invoice.ids)],
                "installment_count": 2,
                "interval": "weekly",
            }
        )
        plan.action_activate()
        preview = self.env["collection.agency.placement"]._handover_preview(case)
        warnings = {row["invoice_id"]: (row["warning"], row["include"]) for row in preview}
        self.assertEqual(warnings[self.invoice.id], ("plan", False))
        self.assertEqual(warnings[self.invoice_2.id], (False, True))

    def test_time_barred_debt_is_never_placed(self):
        self.company.collection_limitation_years = 3
        old = self._invoice(self.customer, 4 * 366, 300.0)
        case = self._case(self.customer)
        preview = {row["invoice_id"]: row for row in self.env["collection.agency.placement"]._handover_preview(case)}
        self.assertEqual(preview[old.id]["warning"], "time_barred")
        self.assertFalse(preview[old.id]["include"])
        self.assertIn("statute of limitations", preview[old.id]["warning_message"])
        with self.assertRaisesInPlace(UserError, "time-barred"):
            self._handover(case, include=old | self.invoice)
        with self.assertRaisesInPlace(ValidationError, "statute of limitations"):
            self.env["collection.agency.placement"]._create_from_cases(self.agency, old)
        self.assertFalse(self.env["collection.agency.placement"].search([("agency_id", "=", self.agency.id)]))
        self.assertEqual(case.stage_code, "new", "nothing was applied")

    def test_handover_of_another_company_is_refused(self):
        other_company = self.setup_other_company()["company"]
        foreign_agency = self.agency.copy({"company_id": other_company.id})
        with self.assertRaisesRegex(UserError, "belong to another company"):
            self.env["collection.agency.placement"]._create_from_cases(foreign_agency, self.invoice)

    def test_handover_and_send(self):
        case = self._case(self.customer)
        with self.mock_mail_gateway():
            placement = self._handover(case, send=True, user=self.collector)
        self.assertEqual(placement.state, "sent")
        mail = self.env["mail.mail"].search([("model", "=", placement._name), ("res_id", "=", placement.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.agency_partner)
        self.assertEqual(mail.attachment_ids, placement.attachment_id)
        self.assertIn(placement.name, mail.subject)

    def test_handover_form_as_the_collector_sees_it(self):
        cases = self._case(self.customer) | self._case(self.other)
        self._promise(self.invoice_2)
        wizard_env = self.env(user=self.collector)["collection.agency.handover"]
        with Form(wizard_env.with_context(active_model="collection.case", active_ids=cases.ids)) as form:
            self.assertEqual(form.agency_id, self.agency, "the only agency of the company is proposed")
            self.assertTrue(form.send_file, "the agency has an email address")
            self.assertEqual(form.line_ids._records and len(form.line_ids._records), 3)
            self.assertEqual(form.included_count, 2)
            self.assertEqual(form.warning_count, 1)
            for index in range(len(form.line_ids._records)):
                with form.line_ids.edit(index) as line:
                    if line.warning == "promise":
                        line.include = True
            form.send_file = False
        action = form.record.action_confirm()
        placement = self.env["collection.agency.placement"].browse(action["res_id"])
        self.assertEqual(placement.line_ids.invoice_id, self.invoice | self.invoice_2 | self.other_invoice)
        self.assertEqual(placement.state, "draft")
        self.assertEqual(set(cases.mapped("stage_code")), {"agency"})

    def test_placements_stay_in_their_company(self):
        placement = self._handover(self._case(self.customer))
        other_company = self.setup_other_company()["company"]
        outsider = self.collector.copy(
            {"login": "outsider", "company_id": other_company.id, "company_ids": [(6, 0, other_company.ids)]}
        )
        Placement = self.env["collection.agency.placement"].with_user(outsider)
        self.assertFalse(Placement.search([("id", "=", placement.id)]))
        self.assertFalse(
            self.env["collection.agency.placement.line"]
            .with_user(outsider)
            .search([("placement_id", "=", placement.id)])
        )
        self.assertFalse(self.env["collection.agency.report"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            Placement.browse(placement.id).read(["name"])
        with self.assertRaises(AccessError):
            placement.with_user(self.collector).unlink()
