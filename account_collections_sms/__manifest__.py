# Copyright 2026 Odoo Collections contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Collections SMS",
    "summary": "Compliant, traceable SMS reminders for collections",
    "version": "18.0.2.1.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/odoo-collections/odoo-collections",
    "author": "Odoo Collections contributors",
    "maintainers": ["odoo-collections"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["account_collections", "sms", "phone_validation"],
    "data": [
        "data/sms_template_data.xml",
        "views/collection_level_views.xml",
        "views/collection_case_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/collection_level_demo.xml",
    ],
    "external_dependencies": {"python": ["phonenumbers"]},
}
