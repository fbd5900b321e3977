/** @odoo-module **/
/*
 * The collector's path: My Queue, the top case, a call ending in a promise to pay,
 * the next reminder sent by hand, both in the case's log.
 * Data: account_collections/tests/test_tours.py (test_collector_tour).
 */
import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

registry.category("web_tour.tours").add("account_collections_collector_tour", {
    url: "/odoo/action-account_collections.action_collection_worklist",
    steps: () => [
        {
            content: "My Queue ranks the most urgent case first: open it",
            trigger: ".o_list_view .o_data_row:first-child td[name=partner_id]:contains(Tour Debtor Ltd)",
            run: "click",
        },
        {
            content: "Log a call with the customer",
            trigger: ".o_form_view .o_form_statusbar button:contains(Log a Call)",
            run: "click",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal .o_field_widget[name=outcome] select",
            run: 'select "promise"',
        },
        {
            content: "Note what was said",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Will pay the recent invoice next week; disputes nothing.",
        },
        {
            content: "Log the call: the promise form opens, pre-filled",
            trigger: ".modal .modal-footer button:contains(Log Call)",
            run: "click",
        },
        {
            content: "The promise covers the recent invoice only: remove the older one",
            trigger: ".o_form_view .o_field_widget[name=invoice_ids] .o_data_row:contains(1,000.00) .o_list_record_remove",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=invoice_ids]:not(:contains(1,000.00))",
        },
        {
            content: "Promised amount",
            trigger: ".o_form_view .o_field_widget[name=amount] input",
            run: "edit 300",
        },
        {
            content: "Promised date: in a week",
            trigger: ".o_form_view .o_field_widget[name=promised_date] input",
            async run(helpers) {
                await helpers.edit(formatDate(DateTime.now().plus({ days: 7 })));
                await helpers.press("Enter");
            },
        },
        {
            content: "Confirm the promise",
            trigger: ".o_form_view .o_form_statusbar button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The promise is open",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Open)",
        },
        {
            content: "Back to the case",
            trigger: ".o_breadcrumb ol.breadcrumb li.breadcrumb-item:last-child a",
            run: "click",
        },
        {
            content: "Send the next reminder about the invoice the promise does not cover",
            trigger: ".o_form_view .o_form_statusbar button[name=action_send_next_reminder]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The reminder is on its way",
            trigger: ".o_notification:contains(queued) .o_notification_close",
            run: "click",
        },
        {
            content: "Open the case's log",
            trigger: ".o_form_view .o_notebook a.nav-link:contains(Log)",
            run: "click",
        },
        {
            content: "The call with its promise is in the log",
            trigger: ".o_field_widget[name=event_ids] .o_data_row:contains(Promise to pay)",
        },
        {
            content: "The reminder email is in the log",
            trigger: ".o_field_widget[name=event_ids] .o_data_row td[name=channel]:contains(Email)",
            run() {
                document.querySelector(".o_form_view .o_notebook").scrollIntoView({ block: "start" });
            },
        },
    ],
});
