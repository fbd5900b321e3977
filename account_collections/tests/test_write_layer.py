from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.bulk_sql import bulk_insert, bulk_link, bulk_update, reserve_sequence_numbers
from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestWriteLayer(CollectionsCommon):
    """The write layer writes in SQL but keeps the ORM's promises: flush, cache, dependants, companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.policy"].search([("company_id", "=", cls.company_data["company"].id)]).is_default = False
        cls.policy.is_default = True
        cls.customer = cls._customer("Write Layer Ltd")
        cls.invoice = cls._invoice(cls.customer, 20, 1000.0)
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])
        cls.Case = cls.env["collection.case"].sudo()

    def _db_value(self, record, name):
        self.env.flush_all()
        query = SQL("SELECT %s FROM %s WHERE id = %s", SQL.identifier(name), SQL.identifier(record._table), record.id)
        return self.env.execute_query(query)[0][0]

    def test_stored_computed_dependants_follow_an_update(self):
        before = self.case.priority_score
        bulk_update(self.Case, {self.case.id: {"amount_overdue": 100000.0}})
        self.assertGreater(self.case.priority_score, before, "the priority follows the overdue amount")
        self.assertEqual(self._db_value(self.case, "priority_score"), round(self.case.priority_score, 2))

    def test_dependants_on_other_models_follow_an_update(self):
        before = self.case.priority_score
        bulk_update(self.env["res.partner"].sudo(), {self.customer.id: {"risk_score": 80}})
        self.assertEqual(self.case.risk_score, 80, "the case's stored related risk follows its customer's")
        self.assertAlmostEqual(self.case.priority_score, before + 0.2 * 80, places=2)
        self.assertEqual(self._db_value(self.case, "risk_score"), 80)

    def test_the_cache_shows_the_written_values(self):
        self.case.fetch(["amount_due", "oldest_due_date"])
        bulk_update(self.Case, {self.case.id: {"amount_due": 1234.5, "oldest_due_date": "2026-01-31"}})
        with self.assertQueryCount(0):
            self.assertEqual(self.case.amount_due, 1234.5)
            self.assertEqual(str(self.case.oldest_due_date), "2026-01-31")
        self.assertEqual(float(self._db_value(self.case, "amount_due")), 1234.5)

    def test_pending_orm_writes_are_flushed_first(self):
        self.case.sudo().write({"color": 3, "paused_until": "2030-01-01"})  # pending in the cache
        bulk_update(self.Case, {self.case.id: {"paused_until": "2031-01-01"}})
        self.assertEqual(str(self._db_value(self.case, "paused_until")), "2031-01-01", "not overwritten by the flush")
        self.assertEqual(self._db_value(self.case, "color"), 3)

    def test_foreign_company_value_is_refused_and_nothing_written(self):
        other = self.setup_other_company(name="Other Co")["company"]
        foreign = self.env["collection.policy"].create({"name": "Foreign policy", "company_id": other.id})
        with self.assertRaisesInPlace(UserError, "Incompatible companies") as caught:
            bulk_update(self.Case, {self.case.id: {"policy_id": foreign.id, "amount_due": 1.0}})
        message = str(caught.exception)
        self.assertIn(self.case.display_name, message)
        self.assertIn("Foreign policy", message)
        self.assertIn("Other Co", message)
        self.assertEqual(self._db_value(self.case, "policy_id"), self.policy.id)
        self.assertEqual(float(self._db_value(self.case, "amount_due")), 1000.0)

    def test_foreign_company_value_is_refused_on_insert(self):
        other = self.setup_other_company(name="Other Co")["company"]
        foreign = self.env["collection.policy"].create({"name": "Foreign policy", "company_id": other.id})
        self.env.cr.execute("SELECT count(*) FROM collection_case")
        count = self.env.cr.fetchone()[0]
        vals = {
            "partner_id": self._customer("Second Ltd").id,
            "company_id": self.company_data["company"].id,
            "currency_id": self.company_data["currency"].id,
            "state": "open",
            "policy_id": foreign.id,
        }
        with self.assertRaisesInPlace(UserError, "A new Collection Case .* Foreign policy"):
            bulk_insert(self.Case, [vals])
        self.env.cr.execute("SELECT count(*) FROM collection_case")
        self.assertEqual(self.env.cr.fetchone()[0], count, "nothing inserted")

    def test_insert_returns_ids_in_order_and_the_inverse_shows_the_rows(self):
        Event = self.env["collection.event"].sudo()
        known = self.case.event_ids  # in the cache now
        names = [f"Event {index}" for index in range(5)]
        ids = bulk_insert(Event, [self.case._event_vals(name) for name in names])
        self.assertEqual(Event.browse(ids).mapped("name"), names)
        self.assertEqual(self.case.event_ids, known | Event.browse(ids))

    def test_insert_skips_rows_already_there(self):
        Followers = self.env["mail.followers"].sudo()
        self.case.message_subscribe(partner_ids=self.collector.partner_id.ids)
        known = self.case.message_follower_ids  # in the cache now
        keys = ("res_model", "res_id", "partner_id")
        rows = [
            {"res_model": self.case._name, "res_id": self.case.id, "partner_id": partner.id}
            for partner in (self.collector.partner_id, self.collection_manager.partner_id)
        ]
        collector_id, manager_id = bulk_insert(Followers, rows, skip_existing=keys)
        self.assertIsNone(collector_id, "the collector followed already: no second row, no error")
        self.assertEqual(Followers.browse(manager_id).partner_id, self.collection_manager.partner_id)
        self.assertEqual(self.case.message_follower_ids, known | Followers.browse(manager_id))
        self.assertEqual(bulk_insert(Followers, rows, skip_existing=keys), [None, None])

    def test_links_show_on_both_sides(self):
        Event = self.env["collection.event"].sudo()
        [event_id] = bulk_insert(Event, [self.case._event_vals("Linked")])
        event = Event.browse(event_id)
        self.assertFalse(event.invoice_ids)
        bulk_link(Event, "invoice_ids", [(event_id, self.invoice.id), (event_id, self.invoice.id)])
        self.assertEqual(event.invoice_ids, self.invoice, "once, however often it is given")

    def test_cases_get_consecutive_references_through_create(self):
        sequence = self.env.ref("account_collections.seq_collection_case")
        expected = reserve_sequence_numbers(sequence, 3)
        number = int(expected[-1].rsplit("/", 1)[1])
        cases = self.Case.create(
            [
                {
                    "partner_id": self._customer(f"Reference {index}").id,
                    "company_id": self.company_data["company"].id,
                    "currency_id": self.company_data["currency"].id,
                }
                for index in range(3)
            ]
        )
        self.assertEqual(
            cases.mapped("name"), [sequence.get_next_char(number + index) for index in (1, 2, 3)], "in order"
        )
        self.assertTrue(all(name.startswith("COL/") for name in cases.mapped("name")))
        self.assertEqual(cases.mapped("priority_score"), [0.0, 0.0, 0.0], "computed by the ORM")

    def test_fields_the_layer_cannot_write_are_refused(self):
        with self.assertRaisesRegex(UserError, "cannot be written in bulk"):
            bulk_update(self.Case, {self.case.id: {"event_ids": [Command.clear()]}})
