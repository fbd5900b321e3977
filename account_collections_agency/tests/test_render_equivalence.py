from odoo.tests import tagged

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestPlacementRenderEquivalence(PlacementCommon):
    """The placement email, rendered the way the collections emails are (the compiled body kept
    over the records), is Odoo's own rendering of it, byte for byte, in each agency's language."""

    def test_placement_email_renders_like_odoo_in_every_language(self):
        template = self.env.ref("account_collections_agency.mail_template_placement")
        self._translate_body(template, {"fr_FR": {"Dear ": "Cher "}, "de_DE": {"Dear ": "Hallo "}})
        third = self._customer("Juliett Goods", email="ap@juliett.example.com", tz="UTC")
        third.with_company(self.company).collection_policy_id = self.email_policy
        self._invoice(third, 45, 700.0)
        self._run_engine()
        placements = self.env["collection.agency.placement"]
        for partner, lang in ((self.customer, "en_US"), (self.other, "fr_FR"), (third, "de_DE")):
            agency_partner = self.env["res.partner"].create(
                {"name": f"Agency {lang}", "is_company": True, "email": f"cases@{lang}.example.com", "lang": lang}
            )
            agency = self.agency.copy({"name": f"Agency {lang}", "partner_id": agency_partner.id})
            placements |= self._handover(self._case(partner), agency=agency)
        self.assertEqual(set(template._classify_per_lang(placements.ids)), {"en_US", "fr_FR", "de_DE"})
        bodies = self.assertRendersLikeOdoo(template, placements)
        self.assertIn("Cher Agency fr_FR", bodies[placements[1].id])
        self.assertIn("Hallo Agency de_DE", bodies[placements[2].id])
