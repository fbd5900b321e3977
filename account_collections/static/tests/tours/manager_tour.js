/** @odoo-module **/
/*
 * The manager's path: a policy with a reminder before the due date and two overdue levels,
 * assigned to a customer, run now, and the customer's case moves to the stage of the level.
 * Data: account_collections/tests/test_tours.py (test_manager_tour).
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function addLevel(name, delay, stage) {
    const steps = [
        {
            content: `Add the level ${name}`,
            trigger: ".o_form_view .o_field_widget[name=level_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            content: `${delay} days after the due date`,
            trigger: ".modal .o_field_widget[name=delay_days] input",
            run: `edit ${delay}`,
        },
        {
            content: "It prints a reminder letter",
            trigger: ".modal .o_field_widget[name=send_letter] input",
            run: "click",
        },
    ];
    if (stage) {
        steps.push(
            {
                content: `and moves the case to ${stage}`,
                trigger: ".modal .o_field_widget[name=stage_id] input",
                run: `edit ${stage}`,
            },
            {
                trigger: `.o-autocomplete--dropdown-item a:contains(${stage})`,
                run: "click",
            }
        );
    }
    steps.push(
        {
            trigger: ".modal .o_form_button_save:contains(Save & Close)",
            run: "click",
        },
        {
            trigger: `.o_form_view .o_field_widget[name=level_ids] .o_data_row:contains(${name})`,
        }
    );
    return steps;
}

registry.category("web_tour.tours").add("account_collections_manager_tour", {
    url: "/odoo/action-account_collections.action_collection_policy",
    steps: () => [
        {
            content: "Create a policy",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Key Accounts",
        },
        ...addLevel("Friendly heads-up", -3),
        ...addLevel("First overdue notice", 5),
        ...addLevel("Final overdue notice", 20, "Legal"),
        ...stepUtils.saveForm(),
        {
            content: "Go to the customers",
            trigger: ".o_main_navbar .o_menu_sections button:contains(Customers)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item[data-menu-xmlid='account.menu_account_customer']",
            run: "click",
        },
        {
            content: "Find the customer",
            trigger: ".o_searchview_input",
            run: "edit Tour Key Customer && press Enter",
        },
        {
            trigger: ".o_kanban_record:contains(Tour Key Customer)",
            run: "click",
        },
        {
            content: "Open the customer's collections tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains(Collections)",
            run: "click",
        },
        {
            content: "Give the customer the new policy",
            trigger: ".o_form_view .o_field_widget[name=collection_policy_id] input",
            run: "edit Key Accounts",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Key Accounts)",
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "Run the collections engine now",
            trigger: ".o_main_navbar .o_menu_sections button:contains(Collections)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item[data-menu-xmlid='account_collections.menu_collection_run']",
            run: "click",
        },
        {
            content: "The run says what it did",
            trigger: ".o_notification:contains(Collections run) .o_notification_close",
            run: "click",
        },
        {
            content: "Open the pipeline of cases",
            trigger: ".o_main_navbar .o_menu_sections button:contains(Collections)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item[data-menu-xmlid='account_collections.menu_collection_case']",
            run: "click",
        },
        {
            content: "The final level of the new policy moved the case to Legal",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Legal)) .o_kanban_record:contains(Tour Key Customer)",
            run() {
                this.anchor.scrollIntoView({ block: "nearest", inline: "center" });
            },
        },
    ],
});
