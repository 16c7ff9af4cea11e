/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function inDays(days) {
    const day = new Date(Date.now() + days * 86400000);
    return day.toISOString().slice(0, 10);
}

function setValue(value) {
    return function () {
        this.anchor.value = value;
        this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

// The link of a letter, without an account: a plan within the policy's
// limits (agreed at once), an objection to an invoice, a promise to pay.
tours.add("dunning_portal_token_tour", {
    steps: () => [
        {
            content: "The customer's open items are listed",
            trigger: ".o_dunning_portal_item:contains(1,200.00)",
        },
        {
            content: "Propose a payment plan",
            trigger: "a.o_dunning_portal_plan",
            run: "click",
        },
        {
            content: "Choose the 1,200.00 invoice",
            trigger: ".o_dunning_portal_plan_form .form-check:contains(1,200.00) input",
            run: "click",
        },
        {
            content: "Three installments",
            trigger: ".o_dunning_portal_plan_form input[name='installments']",
            run: setValue("3"),
        },
        {
            content: "Send the proposal",
            trigger: ".o_dunning_portal_plan_form button[type='submit']",
            run: "click",
        },
        {
            content: "The plan is agreed at once",
            trigger: ".o_dunning_portal_done:contains(Your payment plan is agreed)",
        },
        {
            content: "and listed with its installments",
            trigger: ".o_dunning_portal_plan_card:contains(400.00) .o_dunning_portal_plan_state:contains(Agreed)",
        },
        {
            content: "Object to the 600.00 invoice",
            trigger: ".o_dunning_portal_item:contains(600.00) a:contains(Object)",
            run: "click",
        },
        {
            content: "Reason",
            trigger: ".o_dunning_portal_dispute_form select[name='reason']",
            run: setValue("quality"),
        },
        {
            content: "Disputed amount",
            trigger: ".o_dunning_portal_dispute_form input[name='amount']",
            run: "edit 600",
        },
        {
            content: "What is wrong",
            trigger: ".o_dunning_portal_dispute_form textarea[name='message']",
            run: "edit Goods arrived damaged",
        },
        {
            content: "Send the objection",
            trigger: ".o_dunning_portal_dispute_form button[type='submit']",
            run: "click",
        },
        {
            content: "The objection is received",
            trigger: ".o_dunning_portal_done:contains(We have received your objection)",
        },
        {
            content: "and its state is shown",
            trigger: ".o_dunning_portal_dispute_state:contains(Received)",
        },
        {
            content: "Promise to pay",
            trigger: "a.o_dunning_portal_promise",
            run: "click",
        },
        {
            content: "Choose the 300.00 invoice",
            trigger: ".o_dunning_portal_promise_form .form-check:contains(300.00) input",
            run: "click",
        },
        {
            content: "Payment date in a week",
            trigger: ".o_dunning_portal_promise_form input[name='date_promised']",
            run: setValue(inDays(7)),
        },
        {
            content: "Amount",
            trigger: ".o_dunning_portal_promise_form input[name='amount']",
            run: "edit 300",
        },
        {
            content: "Send the promise",
            trigger: ".o_dunning_portal_promise_form button[type='submit']",
            run: "click",
        },
        {
            content: "The promise is recorded",
            trigger: ".o_dunning_portal_done:contains(Thank you for your promise to pay)",
        },
        {
            content: "and the invoice waits for it",
            trigger: ".o_dunning_portal_item:contains(300.00):contains(Payment promised by)",
        },
    ],
});

// A portal user: from the card on /my, a plan outside the limits (review),
// then a refused promise (amount above the open amount).
tours.add("dunning_portal_user_tour", {
    steps: () => [
        {
            content: "The card on the portal home",
            trigger: "a[href='/my/dunning']",
            run: "click",
        },
        {
            content: "The dunning page",
            trigger: ".o_dunning_portal_item:contains(600.00)",
        },
        {
            content: "Propose a payment plan",
            trigger: "a.o_dunning_portal_plan",
            run: "click",
        },
        {
            content: "Choose the 600.00 invoice",
            trigger: ".o_dunning_portal_plan_form .form-check:contains(600.00) input",
            run: "click",
        },
        {
            content: "Twelve installments: more than the policy allows",
            trigger: ".o_dunning_portal_plan_form input[name='installments']",
            run: setValue("12"),
        },
        {
            content: "Send the proposal",
            trigger: ".o_dunning_portal_plan_form button[type='submit']",
            run: "click",
        },
        {
            content: "The proposal goes to review",
            trigger: ".o_dunning_portal_done:contains(will review it)",
        },
        {
            content: "and is shown as in review",
            trigger: ".o_dunning_portal_plan_state:contains(We are reviewing your proposal)",
        },
        {
            content: "Promise to pay",
            trigger: "a.o_dunning_portal_promise",
            run: "click",
        },
        {
            content: "Choose the 300.00 invoice",
            trigger: ".o_dunning_portal_promise_form .form-check:contains(300.00) input",
            run: "click",
        },
        {
            content: "Payment date in a week",
            trigger: ".o_dunning_portal_promise_form input[name='date_promised']",
            run: setValue(inDays(7)),
        },
        {
            content: "More than the open amount",
            trigger: ".o_dunning_portal_promise_form input[name='amount']",
            run: "edit 5000",
        },
        {
            content: "Send the promise",
            trigger: ".o_dunning_portal_promise_form button[type='submit']",
            run: "click",
        },
        {
            content: "Refused with a clear message",
            trigger: ".o_dunning_portal_error:contains(higher than the open amount)",
        },
    ],
});
