"""Every public method of the three addons has a decision in ``roles.DECISIONS``."""

from odoo.tests import TransactionCase, tagged

from .roles import DECISIONS, public_methods


@tagged("post_install", "-at_install")
class TestRolesTable(TransactionCase):
    def test_every_public_method_has_a_decision(self):
        methods = public_methods(self.env.registry)
        self.assertIn(("collection.case", "run_collections"), methods, "the enumeration finds the engine")
        undecided = sorted(methods - set(DECISIONS))
        self.assertFalse(
            undecided,
            f"public methods without a decision in tests/roles.py (who may call them?): {undecided}",
        )

    def test_no_decision_for_a_method_that_is_gone(self):
        stale = sorted(set(DECISIONS) - public_methods(self.env.registry))
        self.assertFalse(stale, f"decisions in tests/roles.py for methods that no longer exist: {stale}")
