# Copyright 2026 Odoo Collections contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Collections",
    "summary": "Payment follow-up and collections desk for customer receivables",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/odoo-collections/odoo-collections",
    "author": "Odoo Collections contributors",
    "maintainers": ["odoo-collections"],
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["account", "account_payment", "mail", "portal"],
    "data": [
        "security/collection_security.xml",
        "security/ir.model.access.csv",
        "security/collection_rules.xml",
        "data/collection_stage_data.xml",
        "views/collection_stage_views.xml",
        "views/collection_level_views.xml",
        "views/collection_policy_views.xml",
        "views/collection_event_views.xml",
        "views/collection_case_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/collection_policy_demo.xml",
        "demo/collection_case_demo.xml",
    ],
}
