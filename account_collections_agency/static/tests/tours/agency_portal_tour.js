/** @odoo-module **/
/*
 * An agency's path on the portal: its placements, one placement's invoices, a remittance
 * reported on one invoice through the single-line form.
 * Data: account_collections_agency/tests/test_agency_portal.py (test_agency_portal_tour).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_collections_agency_portal_tour", {
    url: "/my/placements",
    steps: () => [
        {
            content: "Open the placement handed to the agency",
            trigger: "tr.o_agency_placement a:contains(PLC)",
            run: "click",
        },
        {
            content: "The placed invoice is listed",
            trigger: "tr.o_agency_placement_line .o_agency_line_status:contains(Placed)",
        },
        {
            content: "Report a payment on the invoice",
            trigger: "form.o_agency_update_form select[name=invoice_number]",
            run() {
                this.anchor.selectedIndex = 1;
            },
        },
        {
            trigger: "form.o_agency_update_form select[name=status]",
            run: "select partial",
        },
        {
            trigger: "form.o_agency_update_form input[name=amount_recovered]",
            run: "edit 400",
        },
        {
            trigger: "form.o_agency_update_form input[name=payment_date]",
            run() {
                this.anchor.value = this.anchor.max;
            },
        },
        {
            trigger: "form.o_agency_update_form input[name=note]",
            run: "edit First instalment received",
        },
        {
            trigger: "form.o_agency_update_form button.o_agency_update_submit",
            run: "click",
        },
        {
            content: "The update is recorded",
            trigger: ".o_agency_success:contains(recorded)",
        },
        {
            trigger: "tr.o_agency_placement_line .o_agency_line_status:contains(Partially Paid)",
        },
    ],
});
