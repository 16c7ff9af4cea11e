/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The credit controller's overview: open invoices by age, amounts held back,
 * DSO and CEI per month, activity per week and today's work. Every figure
 * opens the records behind it.
 */
export class DunningDashboard extends Component {
    static template = "account_relationship_dunning.DunningDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, aging: "segment_id" });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call(
            "account.dunning.dashboard",
            "get_dashboard_data",
            []
        );
    }

    get agingRows() {
        return this.state.data.aging[this.state.aging];
    }

    formatAmount(amount) {
        const currency = this.state.data.currency;
        const value = formatFloat(amount || 0, { digits: [false, currency.digits] });
        return currency.position === "before"
            ? `${currency.symbol} ${value}`
            : `${value} ${currency.symbol}`;
    }

    formatRatio(value, suffix = "") {
        return value === null || value === undefined
            ? "–"
            : `${formatFloat(value, { digits: [false, 1] })}${suffix}`;
    }

    setAging(key) {
        this.state.aging = key;
    }

    open(action) {
        if (!action) {
            return;
        }
        this.action.doAction({
            type: "ir.actions.act_window",
            name: action.name,
            res_model: action.res_model,
            domain: action.domain,
            views: action.views,
            context: action.context || {},
            target: "current",
        });
    }

    barWidth(value, values) {
        const max = Math.max(...values.filter((v) => v !== null), 0);
        return max > 0 && value ? Math.round((100 * value) / max) : 0;
    }

    get segmentLabel() {
        return _t("Segment");
    }

    get levelLabel() {
        return _t("Level");
    }
}

registry.category("actions").add("account_relationship_dunning.dashboard", DunningDashboard);
