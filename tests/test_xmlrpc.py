"""The External API over XML-RPC, against a real Odoo server, the way an integration drives it.

The test starts ``odoo-bin`` in a subprocess on a free local port and talks to it with Python's
``xmlrpc.client`` only. The server runs on a copy of the test database (the one pytest-odoo runs
on) made for this class and dropped after it: what the server commits (the customers, the engine's
run over every case of the company, the append-only log) never reaches the test database, so the
other tests see nothing of it, whatever order they run in.
"""

import base64
import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import xmlrpc.client
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import odoo
from odoo.tests import tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, config

ADMIN_LOGIN = ADMIN_PASSWORD = "admin"  # the demo database's administrator
STATUS_COLUMNS = ["invoice_number", "status", "amount_recovered", "payment_date", "note"]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres(query, *identifiers):
    """Run a database-level statement (CREATE/DROP DATABASE) outside any transaction."""
    connection = odoo.sql_db.db_connect("postgres")
    with closing(connection.cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL(query, *map(SQL.identifier, identifiers)))


def _copy_database(source, name):
    """A copy of ``source`` and of its filestore (what the server reads of attachments)."""
    odoo.sql_db.close_db(source)  # a template database must have no open connection
    _postgres("CREATE DATABASE %s ENCODING 'unicode' TEMPLATE %s", name, source)
    if os.path.exists(config.filestore(source)):
        shutil.copytree(config.filestore(source), config.filestore(name))


def _drop_database(name):
    odoo.sql_db.close_db(name)
    _postgres("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)
    shutil.rmtree(config.filestore(name), ignore_errors=True)


def _daytime_tz():
    """A time zone where it is around noon now: the contact window lets the reminder through."""
    offset = 12 - datetime.now(timezone.utc).hour  # -11..12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@tagged("post_install", "-at_install", "external_api")
class TestExternalApi(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the server's own database: a copy of the test database, dropped once the class is done
        cls.db = f"{get_db_name()}_xmlrpc_{uuid.uuid4().hex[:8]}"
        _copy_database(get_db_name(), cls.db)
        cls.port = _free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        log_fd, cls.log_path = tempfile.mkstemp(prefix="collections-xmlrpc-", suffix=".log")
        os.close(log_fd)
        odoo_bin = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
        command = [sys.executable, str(odoo_bin)]
        if config.rcfile and os.path.exists(config.rcfile):
            command += ["-c", config.rcfile]
        command += [
            f"--addons-path={config['addons_path']}",
            "-d", cls.db,
            f"--db-filter=^{re.escape(cls.db)}$",
            "--http-interface=127.0.0.1",
            f"--http-port={cls.port}",
            "--workers=0",
            "--max-cron-threads=0",  # no scheduled run in the middle of the test
            "--no-database-list",
            f"--logfile={cls.log_path}",
            "--log-level=warn",
        ]  # fmt: skip
        cls.server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        try:
            cls._wait_for_server()
            cls.uid = xmlrpc.client.ServerProxy(f"{cls.url}/xmlrpc/2/common").authenticate(
                cls.db, ADMIN_LOGIN, ADMIN_PASSWORD, {}
            )
            if not cls.uid:
                raise AssertionError(
                    f"{ADMIN_LOGIN}/{ADMIN_PASSWORD} cannot log in to {cls.db}: the test needs demo data"
                )
        except BaseException:
            cls._stop_server()
            _drop_database(cls.db)
            raise

    @classmethod
    def tearDownClass(cls):
        cls._stop_server()
        _drop_database(cls.db)
        super().tearDownClass()

    @classmethod
    def _wait_for_server(cls, timeout=180):
        common = xmlrpc.client.ServerProxy(f"{cls.url}/xmlrpc/2/common")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cls.server.poll() is not None:
                raise AssertionError(f"The Odoo server exited with code {cls.server.returncode}:\n{cls._log_tail()}")
            try:
                if common.version().get("server_serie"):
                    return
            except (ConnectionError, OSError, xmlrpc.client.ProtocolError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"The Odoo server did not answer within {timeout}s:\n{cls._log_tail()}")

    @classmethod
    def _log_tail(cls, lines=40):
        with open(cls.log_path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    @classmethod
    def _stop_server(cls):
        if cls.server and cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait(timeout=10)
        if getattr(cls, "log_path", None) and os.path.exists(cls.log_path):
            os.unlink(cls.log_path)

    # ------------------------------------------------------------------ helpers
    def setUp(self):
        super().setUp()
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        self.tag = uuid.uuid4().hex[:8]

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.db, self.uid, ADMIN_PASSWORD, model, method, list(args), kwargs)

    def xmlid(self, module, name):
        found = self.call(
            "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"]
        )
        self.assertTrue(found, f"{module}.{name} exists")
        return found[0]["res_id"]

    def has_model(self, model):
        return bool(self.call("ir.model", "search_count", [("model", "=", model)]))

    def customer_with_invoice(self, name, company_id, due_days_ago, amount):
        today = date.today()
        partner_id = self.call(
            "res.partner",
            "create",
            {"name": name, "is_company": True, "email": f"ap-{self.tag}@rpc.example.com", "tz": _daytime_tz()},
        )
        invoice_id = self.call(
            "account.move",
            "create",
            {
                "move_type": "out_invoice",
                "partner_id": partner_id,
                "company_id": company_id,
                "invoice_date": str(today - timedelta(days=due_days_ago + 5)),
                "invoice_date_due": str(today - timedelta(days=due_days_ago)),
                "invoice_line_ids": [
                    (0, 0, {"name": "Consulting", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            },
        )
        self.call("account.move", "action_post", [invoice_id])
        return partner_id, invoice_id

    def case_of(self, partner_id, fields=("id",)):
        cases = self.call(
            "collection.case",
            "search_read",
            [("partner_id", "=", partner_id), ("state", "=", "open")],
            fields=list(fields),
        )
        self.assertEqual(len(cases), 1, "one open case per customer")
        return cases[0]

    @staticmethod
    def status_file(rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(STATUS_COLUMNS)
        writer.writerows(rows)
        return base64.b64encode(buffer.getvalue().encode()).decode()

    # ------------------------------------------------------------------ the test
    def test_integration_drives_the_collections_api(self):
        company_id = self.call("res.users", "read", [self.uid], ["company_id"])[0]["company_id"][0]
        # the test runs on any weekday: the company contacts its customers on weekends too
        self.call("res.company", "write", [company_id], {"collection_contact_weekends": True})
        template_id = self.xmlid("account_collections", "mail_template_collection_reminder")

        # a customer with an overdue invoice, on a policy of its own
        partner_id, invoice_id = self.customer_with_invoice(f"RPC Customer {self.tag}", company_id, 35, 1200.0)
        policy_id = self.call(
            "collection.policy",
            "create",
            {
                "name": f"RPC Policy {self.tag}",
                "company_id": company_id,
                "level_ids": [
                    (
                        0,
                        0,
                        {"name": "Before due", "delay_days": -3, "send_email": True, "mail_template_id": template_id},
                    ),
                    (0, 0, {"name": "First", "delay_days": 10, "send_email": True, "mail_template_id": template_id}),
                    (0, 0, {"name": "Final", "delay_days": 60, "send_letter": True}),
                ],
            },
        )
        self.call("res.partner", "write", [partner_id], {"collection_policy_id": policy_id})

        refreshed = self.call("collection.case", "refresh_cases", company_ids=[company_id])
        self.assertEqual(set(refreshed), {"created", "updated", "closed"})
        self.assertTrue(all(isinstance(value, int) for value in refreshed.values()), refreshed)
        case = self.case_of(partner_id, ["policy_id", "amount_overdue", "invoice_ids", "level_id"])
        self.assertEqual(case["policy_id"][0], policy_id)
        self.assertEqual(case["amount_overdue"], 1200.0)
        self.assertIn(invoice_id, case["invoice_ids"])
        self.assertFalse(case["level_id"])

        # the daily run: counts, and the level executed, logged
        counts = self.call("collection.case", "run_collections", company_ids=[company_id])
        self.assertEqual(set(counts), {"cases", "sent", "queued", "skipped", "failed"})
        self.assertTrue(all(isinstance(value, int) for value in counts.values()), counts)
        self.assertGreaterEqual(counts["cases"], 1)
        self.assertGreaterEqual(counts["queued"] + counts["sent"], 1, counts)
        case = self.case_of(partner_id, ["level_id", "stage_id"])
        self.assertEqual(case["level_id"][1], "First", "the highest level due 35 days after the due date")
        events = self.call(
            "collection.event",
            "search_read",
            [("case_id", "=", case["id"])],
            fields=["channel", "state", "level_id", "direction", "date", "amount_due"],
        )
        emails = [event for event in events if event["channel"] == "email"]
        self.assertEqual(len(emails), 1, events)
        self.assertIn(emails[0]["state"], ("queued", "sent"))
        self.assertEqual(emails[0]["level_id"][1], "First")
        self.assertEqual(emails[0]["direction"], "outbound")

        # the queued reminder is rendered into the mail queue by the dispatch (or its cron)
        dispatched = self.call("collection.event", "dispatch_emails")
        self.assertEqual(set(dispatched), {"queued", "failed", "skipped"})
        self.assertGreaterEqual(dispatched["queued"], 1, dispatched)
        email = self.call("collection.event", "read", [emails[0]["id"]], fields=["mail_mail_id"])[0]
        self.assertTrue(email["mail_mail_id"], "the email event points at its email in the mail queue")

        # a second run the same day does not send the level again
        self.call("collection.case", "run_collections", date=str(date.today()), company_ids=[company_id])
        emails_again = self.call(
            "collection.event", "search_count", [("case_id", "=", case["id"]), ("channel", "=", "email")]
        )
        self.assertEqual(emails_again, 1, "run_collections is idempotent")

        # bad input is refused with a message that says what is wrong
        with self.assertRaises(xmlrpc.client.Fault) as refused:
            self.call("collection.case", "run_collections", date="not-a-date")
        self.assertIn("not-a-date", refused.exception.faultString)

        # a payment plan over the invoice: created, activated, the invoice goes on hold
        plan_id = self.call(
            "collection.payment.plan",
            "create",
            {
                "case_id": case["id"],
                "invoice_ids": [(6, 0, [invoice_id])],
                "installment_count": 3,
                "interval": "monthly",
                "start_date": str(date.today() + timedelta(days=7)),
            },
        )
        self.assertIs(self.call("collection.payment.plan", "action_activate", [plan_id]), True)
        plan = self.call(
            "collection.payment.plan", "read", [plan_id], ["state", "amount_total", "line_ids", "case_id"]
        )[0]
        self.assertEqual(plan["state"], "active")
        self.assertEqual(plan["amount_total"], 1200.0)
        self.assertEqual(len(plan["line_ids"]), 3)
        lines = self.call("collection.payment.plan.line", "read", plan["line_ids"], ["amount", "due_date"])
        self.assertAlmostEqual(sum(line["amount"] for line in lines), 1200.0, places=2)
        self.assertEqual(
            self.call("account.move", "read", [invoice_id], ["collection_hold"])[0]["collection_hold"], "plan"
        )
        self.assertEqual(self.case_of(partner_id, ["stage_id"])["stage_id"][1], "Payment Plan")
        self.assertTrue(
            self.call(
                "collection.event",
                "search_count",
                [("case_id", "=", case["id"]), ("name", "ilike", "payment plan")],
            ),
            "the activation is in the log",
        )

    def test_integration_imports_agency_status_file(self):
        if not self.has_model("collection.agency.placement"):
            self.skipTest("account_collections_agency is not installed: no placement to import a status file on")
        company_id = self.call("res.users", "read", [self.uid], ["company_id"])[0]["company_id"][0]
        partner_id, invoice_id = self.customer_with_invoice(f"RPC Debtor {self.tag}", company_id, 120, 800.0)
        case_id = self.case_of(partner_id)["id"]
        invoice_number = self.call("account.move", "read", [invoice_id], ["name"])[0]["name"]
        agency_partner_id = self.call(
            "res.partner",
            "create",
            {"name": f"RPC Agency {self.tag}", "is_company": True, "email": "desk@agency.example.com"},
        )
        agency_id = self.call(
            "collection.agency",
            "create",
            {"name": f"RPC Agency {self.tag}", "partner_id": agency_partner_id, "commission_rate": 10.0},
        )
        placement_id = self.call(
            "collection.agency.placement",
            "create",
            {
                "agency_id": agency_id,
                "line_ids": [(0, 0, {"invoice_id": invoice_id, "case_id": case_id, "amount_placed": 800.0})],
            },
        )
        # its state is the workflow's: the placement is sent to the agency, not written "sent"
        self.call("collection.agency.placement", "action_send", [placement_id])
        line_fields = ["status", "amount_recovered", "commission"]
        placement = self.call("collection.agency.placement", "read", [placement_id], ["line_ids"])[0]

        def line_state():
            return self.call("collection.agency.placement.line", "read", placement["line_ids"], line_fields)

        # a valid status file is applied
        valid = self.status_file([[invoice_number, "in_progress", "0", "", "Debtor reached, will pay"]])
        result = self.call(
            "collection.agency.placement", "import_file", [placement_id], valid, f"status-{self.tag}.csv"
        )
        self.assertEqual(result, {"applied": 1, "errors": []})
        before = line_state()
        self.assertEqual(before[0]["status"], "in_progress")
        imports_before = self.call("collection.agency.import", "search_count", [("placement_id", "=", placement_id)])

        # an invalid one is refused as a whole, with the report line by line, and changes nothing
        invalid = self.status_file(
            [
                [invoice_number, "paid", "800", str(date.today()), "paid in full"],
                [invoice_number, "teleported", "0", "", ""],
                ["NO/SUCH/INVOICE", "paid", "10", str(date.today()), ""],
            ]
        )
        with self.assertRaises(xmlrpc.client.Fault) as rejected:
            self.call("collection.agency.placement", "import_file", [placement_id], invalid, f"bad-{self.tag}.csv")
        report = rejected.exception.faultString
        self.assertIn("Line 3", report)
        self.assertIn("teleported", report)
        self.assertIn("Line 4", report)
        self.assertIn("NO/SUCH/INVOICE", report)
        self.assertEqual(line_state(), before, "a rejected file changes nothing")
        self.assertEqual(
            self.call("account.move", "read", [invoice_id], ["payment_state"])[0]["payment_state"], "not_paid"
        )
        self.assertEqual(
            self.call("collection.agency.import", "search_count", [("placement_id", "=", placement_id)]),
            imports_before,
        )
