import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";

const CHART_WIDTH = 600;
const CHART_HEIGHT = 160;
const CHART_PADDING = 20;

/**
 * Collections dashboard: what is owed and overdue, by bucket, what came in this month, the DSO trend,
 * the open disputes (and those past their deadline), the customers owing the most and the cash-in forecast by
 * week. All figures come from one call to
 * collection.case.get_dashboard_data().
 */
export class CollectionDashboard extends Component {
    static template = "account_collections.CollectionDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("collection.case", "get_dashboard_data", []);
    }

    money(amount) {
        return formatMonetary(amount, { currencyId: this.state.data.currency_id });
    }

    get maxBucket() {
        return Math.max(1, ...this.state.data.buckets.map((bucket) => Math.abs(bucket.amount)));
    }

    bucketWidth(bucket) {
        return `${Math.round((Math.abs(bucket.amount) / this.maxBucket) * 100)}%`;
    }

    get forecast() {
        return this.state.data.cash_forecast;
    }

    get maxForecastWeek() {
        return Math.max(1, ...this.forecast.weeks.map((week) => week.expected));
    }

    /** Heights (CSS percentages) of a week's stacked bar: promised, planned, the rest (behaviour, settlements). */
    forecastBar(week) {
        const share = (amount) => `${Math.max(0, (amount / this.maxForecastWeek) * 100).toFixed(1)}%`;
        return {
            promised: share(week.promised),
            planned: share(week.planned),
            other: share(week.expected - week.promised - week.planned),
        };
    }

    weekLabel(week) {
        return week.week_start.slice(5);
    }

    forecastTitle(week) {
        return _t("Week of %(week)s: %(expected)s (promised %(promised)s, planned %(planned)s)", {
            week: week.week_start,
            expected: this.money(week.expected),
            promised: this.money(week.promised),
            planned: this.money(week.planned),
        });
    }

    openForecast() {
        return this.action.doAction("account_collections.action_collection_cash_forecast_report");
    }

    get dsoPoints() {
        const trend = this.state.data.dso_trend;
        if (!trend.length) {
            return [];
        }
        const max = Math.max(1, ...trend.map((month) => month.dso));
        const step = trend.length > 1 ? (CHART_WIDTH - 2 * CHART_PADDING) / (trend.length - 1) : 0;
        return trend.map((month, index) => ({
            x: CHART_PADDING + index * step,
            y: CHART_HEIGHT - CHART_PADDING - (month.dso / max) * (CHART_HEIGHT - 2 * CHART_PADDING),
            month,
        }));
    }

    get dsoPolyline() {
        return this.dsoPoints.map((point) => `${point.x},${point.y}`).join(" ");
    }

    get chartViewBox() {
        return `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`;
    }

    monthLabel(month) {
        return month.slice(0, 7);
    }

    openCustomer(row) {
        if (!row.partner_id) {
            return;
        }
        if (row.case_id) {
            return this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "collection.case",
                res_id: row.case_id,
                views: [[false, "form"]],
            });
        }
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: row.partner_id,
            views: [[false, "form"]],
        });
    }

    openAging() {
        return this.action.doAction("account_collections.action_collection_aged_receivable_wizard");
    }

    openKpis() {
        return this.action.doAction("account_collections.action_collection_kpi_month");
    }

    openDisputes(overdue) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: overdue ? _t("Disputes Past Deadline") : _t("Open Disputes"),
            res_model: "collection.dispute",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: overdue ? [["is_overdue", "=", true]] : [["state", "=", "open"]],
        });
    }

    openDisputeReport() {
        return this.action.doAction("account_collections.action_collection_dispute_report");
    }

    openOverdueCases() {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Overdue Cases"),
            res_model: "collection.case",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: [
                ["state", "=", "open"],
                ["amount_overdue", ">", 0],
            ],
        });
    }
}

registry.category("actions").add("account_collections.dashboard", CollectionDashboard);
