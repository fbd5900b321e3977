/** @odoo-module **/
/*
 * The dashboard's cash forecast: the next 13 weeks as bars (promised, planned, the rest), what
 * they add up to, and the way to the Cash Forecast report.
 * Data: account_collections/tests/test_tours.py (test_dashboard_tour).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_collections_dashboard_tour", {
    url: "/odoo/action-account_collections.action_collection_dashboard",
    steps: () => [
        {
            content: "The cash forecast shows 13 weeks",
            trigger: ".o_collection_cash_forecast .o_collection_forecast_bars:has(.o_collection_forecast_week:nth-child(13))",
        },
        {
            content: "A promised amount shows in its week",
            trigger: ".o_collection_cash_forecast .o_collection_forecast_week .bg-success:not([style*='height: 0.0%'])",
        },
        {
            content: "The weeks and later add up to the open customer invoices",
            trigger: ".o_collection_cash_forecast tr.fw-bold:contains(Open customer invoices) td.text-end:not(:empty)",
        },
        {
            content: "Open the Cash Forecast report",
            trigger: ".o_collection_cash_forecast .card-header a",
            run: "click",
        },
        {
            content: "The report opens on its graph",
            trigger: ".o_graph_view",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb ol.breadcrumb li.breadcrumb-item:last-child a",
            run: "click",
        },
        {
            trigger: ".o_collection_cash_forecast .o_collection_forecast_week",
        },
    ],
});
