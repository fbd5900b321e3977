/** @odoo-module **/
/*
 * The customer's path on the portal: what they owe, a payment date proposed for one
 * overdue invoice, a dispute opened on the other.
 * Data: account_collections/tests/test_tours.py (test_portal_tour).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_collections_portal_tour", {
    url: "/my/collections",
    steps: () => [
        {
            content: "The overdue invoices are listed",
            trigger: "tr.o_collection_overdue:contains(INV)",
        },
        {
            content: "Propose to pay the oldest overdue invoice tomorrow",
            trigger: "tr.o_collection_actions:first form[action='/my/collections/promise'] input[name=date]",
            run() {
                this.anchor.value = this.anchor.min;
            },
        },
        {
            trigger: "tr.o_collection_actions:first form[action='/my/collections/promise'] button[type=submit]",
            run: "click",
        },
        {
            content: "The promise is noted",
            trigger: ".o_collection_success:contains(promise to pay)",
        },
        {
            content: "Dispute the other overdue invoice",
            trigger: "tr.o_collection_actions form[action='/my/collections/dispute'] select[name=reason]",
            run: "select not_received",
        },
        {
            trigger: "tr.o_collection_actions form[action='/my/collections/dispute'] textarea[name=description]",
            run: "edit The goods of this invoice never arrived.",
        },
        {
            trigger: "tr.o_collection_actions form[action='/my/collections/dispute'] button[type=submit]",
            run: "click",
        },
        {
            content: "The invoice is on hold while the dispute is looked at",
            trigger: ".o_collection_success:contains(on hold)",
        },
        {
            trigger: "tr.o_collection_overdue .badge:contains(Dispute)",
        },
    ],
});
