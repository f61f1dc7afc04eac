/** @odoo-module **/
/*
 * The dashboard's numbers open the lists they count. Each figure of the dashboard's HTML (a table
 * cell, the banner, a bar of the chart) is a link with its window action in `data-zoho-list`; a
 * click anywhere in the web client on such a link runs that action. A service listening on the
 * document, rather than a field widget, because the HTML field's widget differs between 17, 18
 * and 19 while services and the action service are the same on the three.
 */
import { registry } from "@web/core/registry";

export const zohoDashboardLinks = {
    dependencies: ["action"],
    start(env, { action }) {
        document.addEventListener(
            "click",
            (event) => {
                const link = event.target.closest && event.target.closest("[data-zoho-list]");
                if (!link) {
                    return;
                }
                event.preventDefault();
                event.stopPropagation();
                action.doAction(JSON.parse(link.dataset.zohoList));
            },
            true
        );
    },
};

registry.category("services").add("zoho_dashboard_links", zohoDashboardLinks);
