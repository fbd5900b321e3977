"""Bad input to the public methods gets a UserError, ValidationError or AccessError naming the
fix, never a raw Python exception (what a client sees as a server error)."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.account_collections_agency.tests.placement_common import PlacementCommon

NAN, INF = float("nan"), float("inf")
# wrong types, empty, huge, NaN/inf, impossible and far dates, foreign ids
BAD_VALUES = (
    None,
    "",
    "tomorrow",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    10**30,
    -1,
    NAN,
    INF,
    -INF,
    [],
    {},
    [10**9],
    {"id": 1},
    True,
    "x" * 100_000,
)
CLEAN_ERRORS = (UserError, ValidationError, AccessError)  # MissingError is a UserError


@tagged("post_install", "-at_install")
class TestPublicMethodFuzz(PlacementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.case"].refresh_cases(company_ids=cls.company.ids)
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id), ("state", "=", "open")])

    def assertClean(self, call, label):
        try:
            with self.env.cr.savepoint():
                call()
        except CLEAN_ERRORS:
            pass
        except Exception as error:  # noqa: BLE001  # that is the defect
            self.fail(f"{label} raised a raw {type(error).__name__}: {error!r:.300}")

    def _fuzz(self, label, make_call):
        for value in BAD_VALUES:
            with self.subTest(call=label, value=repr(value)[:40]):
                self.assertClean(lambda v=value: make_call(v), f"{label}({repr(value)[:40]})")

    def test_engine_and_reports(self):
        manager = self.collection_manager
        Case = self.env["collection.case"].with_user(manager)
        self._fuzz("run_collections(date)", lambda v: Case.run_collections(date=v, company_ids=self.company.ids))
        self._fuzz("run_collections(company_ids)", lambda v: Case.run_collections(company_ids=v))
        self._fuzz("refresh_cases(company_ids)", lambda v: Case.refresh_cases(company_ids=v))
        Aging = self.env["collection.aged.receivable"].with_user(manager)
        self._fuzz("get_aging(date)", lambda v: Aging.get_aging(date=v))
        self._fuzz("get_aging(company_ids)", lambda v: Aging.get_aging(company_ids=v))
        Kpi = self.env["collection.kpi.month"].with_user(manager)
        self._fuzz("get_kpis(date)", lambda v: Kpi.get_kpis(date=v))
        self._fuzz("get_kpis(months)", lambda v: Kpi.get_kpis(months=v))
        self._fuzz("get_kpis(company_ids)", lambda v: Kpi.get_kpis(company_ids=v))

    def test_case_actions(self):
        case = self.case.with_user(self.collector)
        self._fuzz("action_pause(until)", lambda v: case.action_pause(v))
        self._fuzz("action_log_call(outcome)", lambda v: case.action_log_call(v))
        self._fuzz("action_log_call(note)", lambda v: case.action_log_call("reached", note=v))
        self._fuzz("action_log_call(direction)", lambda v: case.action_log_call("reached", direction=v))
        self._fuzz("action_log_call(follow_up_date)", lambda v: case.action_log_call("reached", follow_up_date=v))

    def test_foreign_and_missing_ids(self):
        """Record methods on ids that do not exist or belong to a company the user is not in."""
        other_company = self.env["res.company"].create({"name": "Foreign Ltd"})
        # sudo: cases are the refresh's to open
        foreign_case = (
            self.env["collection.case"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": other_company.id,
                    "currency_id": other_company.currency_id.id,
                    "amount_due": 100.0,
                    "amount_overdue": 100.0,
                }
            )
        )
        for ids in ([10**9], foreign_case.ids):
            case = self.env["collection.case"].with_user(self.collector).browse(ids)
            for method in ("action_pause", "action_resume", "action_send_next_reminder", "action_new_promise"):
                args = ("2099-01-01",) if method == "action_pause" else ()
                with self.subTest(ids=ids, method=method):
                    self.assertClean(lambda c=case, m=method, a=args: getattr(c, m)(*a), f"{method} on {ids}")

    def test_agreement_reasons(self):
        settlement = self.env["collection.settlement"].create({"case_id": self.case.id})
        settlement = settlement.with_user(self.collector)
        self._fuzz("settlement.action_cancel(reason)", lambda v: settlement.action_cancel(reason=v))
        self._fuzz("settlement.action_accept(on_portal)", lambda v: settlement.action_accept(on_portal=v))

    def test_import_file_arguments(self):
        cases = self.env["collection.case"].search([("partner_id", "=", self.other.id), ("state", "=", "open")])
        placement = self._handover(cases)
        placement = placement.with_user(self.collector)
        self._fuzz("import_file(data)", lambda v: placement.import_file(v, "status.csv"))
        self._fuzz("import_file(filename)", lambda v: placement.import_file("aW52b2ljZV9udW1iZXIK", v))
