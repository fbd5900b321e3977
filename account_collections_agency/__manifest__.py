# Copyright 2026 Odoo Collections contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Collections Agencies",
    "summary": "Hand hopeless cases to external collection agencies and take back status and money",
    "version": "18.0.2.1.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/odoo-collections/odoo-collections",
    "author": "Odoo Collections contributors",
    "maintainers": ["odoo-collections"],
    "license": "LGPL-3",
    "installable": True,
    "depends": ["account_collections"],
    "data": [
        "security/ir.model.access.csv",
        "security/collection_agency_rules.xml",
        "data/collection_agency_column_data.xml",
        "data/collection_agency_placement_data.xml",
        "views/collection_agency_views.xml",
        "views/collection_agency_placement_views.xml",
        "wizards/collection_agency_handover_views.xml",
        "wizards/collection_agency_recall_views.xml",
        "report/collection_agency_report_views.xml",
        "views/collection_agency_import_views.xml",
        "views/portal_templates.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/collection_agency_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "account_collections_agency/static/tests/tours/*.js",
        ],
    },
}
