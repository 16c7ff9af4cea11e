/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// Dashboard: loads, shows the 31-60 days total the test prepared, and the
// figure opens the invoices behind it.
tours.add("dunning_dashboard_tour", {
    steps: () => [
        {
            content: "The overview shows today's work",
            trigger: ".o_dunning_dashboard .o_dunning_work",
        },
        {
            content: "The 31-60 days total is the test's invoice",
            trigger: ".o_dunning_total[data-bucket='31_60']:contains(1,234.56)",
            run: "click",
        },
        {
            content: "The figure opens the invoice behind it",
            trigger: ".o_list_view .o_data_row:contains(Tour Dashboard GmbH):contains(1,234.56)",
        },
        {
            content: "Only that invoice",
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(2)))",
        },
    ],
});

// Run (real) -> review -> approve -> send by e-mail.
tours.add("dunning_review_send_tour", {
    steps: () => [
        {
            content: "Switch the simulation off",
            trigger: ".modal div[name='simulation'] input:checked",
            run: "click",
        },
        {
            content: "Run the dunning",
            trigger: ".modal button[name='action_run']",
            run: "click",
        },
        {
            content: "Open the run's letters",
            trigger: ".o_form_view button[name='action_view_letters']",
            run: "click",
        },
        {
            content: "The run's letters are listed",
            trigger: ".o_list_view .o_data_row:contains(Tour Review GmbH)",
        },
        {
            content: "Open the letter of the customer",
            trigger: ".o_list_view .o_data_row:contains(Tour Review GmbH) td[name='name']",
            run: "click",
        },
        {
            content: "The letter waits for review",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            content: "Review it",
            trigger: ".o_statusbar_buttons button[name='action_review_done']",
            run: "click",
        },
        {
            content: "Approve it",
            trigger: ".o_statusbar_buttons button[name='action_approve']",
            run: "click",
        },
        {
            content: "Send it by e-mail",
            trigger: ".o_statusbar_buttons button[name='action_send_email']",
            run: "click",
        },
        {
            content: "The form reloads: the letter is done and cannot be sent twice",
            trigger:
                ".o_form_view:not(:has(button[name='action_send_email'])) .o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
    ],
});

// Record a dispute from the invoice form: the invoice is on the new dispute
// and the dispute saves.
tours.add("dunning_dispute_from_invoice_tour", {
    steps: () => [
        {
            content: "Open the invoice's Dunning tab",
            trigger: ".o_notebook a[name='dunning']",
            run: "click",
        },
        {
            content: "Record a dispute",
            trigger: "button[name='action_dunning_dispute']",
            run: "click",
        },
        {
            content: "The invoice is on the dispute",
            trigger: ".o_field_widget[name='line_ids'] .o_data_row:contains(1,500.00)",
        },
        {
            content: "Describe the objection",
            trigger: ".o_field_widget[name='description'] textarea",
            run: "edit Goods arrived damaged",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved: the dispute has its reference",
            trigger: ".o_breadcrumb .o_last_breadcrumb_item:contains(DSP/)",
        },
    ],
});

// Record a promise to pay from a letter.
tours.add("dunning_promise_tour", {
    steps: () => [
        {
            content: "Record a promise to pay",
            trigger: ".o_statusbar_buttons button[name='action_record_promise']",
            run: "click",
        },
        {
            content: "The promised amount is the letter's open amount",
            trigger: ".modal div[name='amount'] input:value(800.00)",
        },
        {
            content: "Promised date",
            trigger: ".modal div[name='date_promised'] input",
            run: "edit 12/31/2099",
        },
        {
            content: "Save the promise",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// Print a customer statement from the customer's Dunning tab.
tours.add("dunning_statement_tour", {
    steps: () => [
        {
            content: "Open the customer's Dunning tab",
            trigger: ".o_notebook a[name='dunning']",
            run: "click",
        },
        {
            content: "The tab shows the overdue total",
            trigger: ".o_field_widget[name='dunning_overdue_amount']:contains(700.00)",
        },
        {
            content: "Print the statement",
            trigger: "button[name='action_print_dunning_statement']",
            run: "click",
        },
        {
            content: "The statement lists the open items",
            trigger:
                ".o_action :iframe .o_dunning_statement:contains(Statement of Account):contains(700.00):contains(250.00)",
        },
    ],
});
