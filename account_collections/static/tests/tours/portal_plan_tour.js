/** @odoo-module **/
/*
 * The customer proposes a payment plan on the portal for their overdue invoices: within the
 * policy's limits it starts at once, and the first installment can be paid online.
 * Data: account_collections/tests/test_tours.py (test_portal_plan_tour).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_collections_portal_plan_tour", {
    url: "/my/collections",
    steps: () => [
        {
            content: "The customer may propose a plan for the overdue invoices",
            trigger: "form.o_collection_plan_form input[name=invoice_ids]:checked",
        },
        {
            content: "Three installments",
            trigger: "form.o_collection_plan_form input[name=installment_count]",
            run: "edit 3",
        },
        {
            content: "Every month",
            trigger: "form.o_collection_plan_form select[name=interval]",
            run: "select monthly",
        },
        {
            content: "With a down payment",
            trigger: "form.o_collection_plan_form input[name=down_payment]",
            run: "edit 150",
        },
        {
            trigger: "form.o_collection_plan_form button.o_collection_plan_submit",
            run: "click",
        },
        {
            content: "The plan has started",
            trigger: ".o_collection_success:contains(has started)",
        },
        {
            content: "Its first installment can be paid online",
            trigger: ".o_collection_plan a.o_collection_pay_installment",
        },
    ],
});
