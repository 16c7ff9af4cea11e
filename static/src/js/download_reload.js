/** @odoo-module **/

import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";

/**
 * Download a file (e.g. the batch of printed letters), then reload the current
 * view: the letters it contains are sent now and must no longer show "Ready".
 */
async function downloadAndReload(env, action) {
    const url = action.params.url;
    if (url) {
        browser.location.assign(url);
    }
    const controller = env.services.action.currentController;
    if (controller) {
        await env.services.action.restore(controller.jsId);
    }
}

registry
    .category("actions")
    .add("account_relationship_dunning.download_reload", downloadAndReload);
