from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, formataddr

from ..tools import GROUP_USER, check_group


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_policy_id = fields.Many2one(
        "collection.policy",
        string="Collection Policy",
        company_dependent=True,
        domain="[('company_id', '=', current_company_id)]",
        help="Overrides the company's default collection policy for this customer.",
    )
    collection_user_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain="[('share', '=', False)]",
        help="Collector assigned to this customer's cases.",
    )
    collection_case_ids = fields.One2many("collection.case", "partner_id", string="Collection Cases")
    collection_case_count = fields.Integer(compute="_compute_collection_case_count")
    avg_days_late = fields.Float(digits=(16, 1), readonly=True, help="Average delay of paid invoices.")
    on_time_ratio = fields.Float(
        string="On-time Ratio", digits=(16, 2), readonly=True, help="Share of invoices paid by their due date (0-1)."
    )
    risk_score = fields.Integer(readonly=True, help="Payment risk from 0 (pays on time) to 100 (rarely pays).")
    collection_email_opt_out = fields.Boolean(string="No Collection Emails")
    collection_letter_opt_out = fields.Boolean(string="No Collection Letters")
    collection_sms_opt_out = fields.Boolean(string="No Collection SMS")
    collection_call_opt_out = fields.Boolean(string="No Collection Calls")
    do_not_contact = fields.Boolean(
        help="Never contact this customer about collections, on any channel (e.g. insolvency, legal instruction).",
    )
    collection_statement_day = fields.Integer(
        string="Monthly Statement Day",
        company_dependent=True,
        help="Day of the month (1-28) on which the customer is emailed its statement; 0 or empty: the day "
        "of its collection policy (none if the policy has none either).",
    )

    @api.constrains("collection_statement_day")
    def _check_collection_statement_day(self):
        for partner in self:
            if not 0 <= (partner.collection_statement_day or 0) <= 28:
                raise ValidationError(
                    self.env._(
                        "%(partner)s: the monthly statement day must be between 1 and 28 (every month has "
                        "it), or 0 for the day of its collection policy (got %(day)s).",
                        partner=partner.display_name,
                        day=partner.collection_statement_day,
                    )
                )

    collection_contact_id = fields.Many2one(
        "res.partner",
        string="Collections Contact",
        domain="[('id', 'child_of', id), ('id', '!=', id), ('email', '!=', False)]",
        help="The contact of this customer who receives the reminders, instead of its invoice addresses "
        "and the customer's own address.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "collection_email_opt_out",
            "collection_letter_opt_out",
            "collection_sms_opt_out",
            "collection_call_opt_out",
            "do_not_contact",
        ]

    @api.constrains("collection_contact_id")
    def _check_collection_contact(self):
        for partner in self.filtered("collection_contact_id"):
            contact = partner.collection_contact_id
            if contact.commercial_partner_id != partner or contact == partner:
                raise ValidationError(
                    self.env._(
                        "The collections contact of %(customer)s must be one of its contacts: "
                        "%(contact)s is not. Choose a contact of %(customer)s.",
                        customer=partner.display_name,
                        contact=contact.display_name,
                    )
                )
            if not contact.email:
                raise ValidationError(
                    self.env._(
                        "The collections contact of %(customer)s, %(contact)s, has no email address: "
                        "give it one, or choose another contact.",
                        customer=partner.display_name,
                        contact=contact.display_name,
                    )
                )

    def _compute_collection_case_count(self):
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["collection.case"]._read_group([("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.collection_case_count = counts.get(partner.commercial_partner_id, 0)

    def write(self, vals):
        """The open cases of a customer follow its collector (in the company written for); a
        corrected email address is no longer flagged as bounced."""
        followed = {}
        if "collection_user_id" in vals:
            # the collector each customer had: the cases still with it (or with none) follow
            followed = {partner.id: partner.collection_user_id.id for partner in self}
        if "email" in vals:
            # a new address has not bounced: the reminders go to it again
            changed = self.filtered(lambda p: p.message_bounce and p.email != vals["email"])
        res = super().write(vals)
        if "email" in vals and changed:
            changed.message_bounce = 0
        if followed:
            self._collection_follow_collector(followed)
        return res

    def _collection_follow_collector(self, previous):
        """Hand the open cases of these customers in the current company to their collector, in one
        write per collector; a case a manager gave to someone else stays with that person.

        :param previous: {partner id: id of the collector before the change}
        """
        cases = (
            self.env["collection.case"]
            .sudo()
            .search([("partner_id", "in", self.ids), ("state", "=", "open"), ("company_id", "=", self.env.company.id)])
        )
        by_user = defaultdict(list)
        for case in cases:
            collector = case.partner_id.collection_user_id
            if case.user_id != collector and case.user_id.id in (previous.get(case.partner_id.id) or False, False):
                by_user[collector.id].append(case.id)
        for user_id, case_ids in by_user.items():
            cases.browse(case_ids).write({"user_id": user_id or False})

    # ------------------------------------------------------------------ statement
    def _collection_block_reason(self, channel, email_to=None):
        """Why this customer may not be contacted about collections on the channel:
        (reason code, text), or False.

        :param email_to: for a reminder email, its resolved recipients (see
            ``_collection_email_recipients``): none left is a missing address; without it, the
            customer's own address is the one checked (the emails sent to the customer itself)
        """
        self.ensure_one()
        if self.do_not_contact:
            return "do_not_contact", self.env._("Customer marked do not contact")
        if self[f"collection_{channel}_opt_out"]:
            return "opt_out", self.env._("Customer opted out of %(channel)s", channel=channel)
        if channel != "email" or email_to:
            return False
        # no recipient left, or the email goes to the customer itself: say why
        if email_to is None and not self.email:
            return "no_address", self.env._("Customer has no email address")
        if self.email and self.message_bounce:
            return "bounced", self.env._(
                "The email address %(email)s bounced: correct it on the customer (reminders go by letter until then)",
                email=self.email,
            )
        if email_to is not None:
            return "no_address", self.env._(
                "No email address to send the reminder to: the collections contact, the invoice addresses "
                "and the customer have none, or theirs bounced or are blacklisted"
            )
        return False

    def _collection_email_recipients(self, cc_partners=None):
        """Who receives the reminders of these customers, in one query for all of them.

        The customer's collections contact; else its invoice addresses (child contacts of type
        *Invoice address* with an email); else the customer itself. An address that bounced or is
        blacklisted is passed over for the next one.

        :param cc_partners: other partners (salespersons, collectors to copy) whose usable address
            is read in the same query
        :return: ({customer id: [(partner id, formatted address)]},
                  {partner id: formatted address} of the usable ``cc_partners``)
        """
        customers = self.commercial_partner_id
        if not customers:
            return {}, {}
        cc_partners = cc_partners or self.browse()
        self.flush_model(
            ["active", "commercial_partner_id", "email", "email_normalized", "message_bounce", "name", "type"]
        )
        self.env["mail.blacklist"].flush_model(["active", "email"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, p.commercial_partner_id, p.type, p.name, p.email
                  FROM res_partner p
                 WHERE p.active AND COALESCE(p.email, '') != '' AND COALESCE(p.message_bounce, 0) = 0
                   AND NOT EXISTS (SELECT 1 FROM mail_blacklist b
                                    WHERE b.active AND b.email = p.email_normalized)
                   AND (p.id = ANY(%(ids)s)
                        OR (p.commercial_partner_id = ANY(%(customers)s) AND p.id != p.commercial_partner_id
                            AND p.type = 'invoice'))
                 ORDER BY p.id
                """,
                ids=list(set(customers.ids) | set(customers.collection_contact_id.ids) | set(cc_partners.ids)),
                customers=customers.ids,
            )
        )
        usable = {row[0]: formataddr((row[3] or "", row[4])) for row in rows}
        commercial = {row[0]: row[1] for row in rows}
        invoice_contacts = defaultdict(list)
        for partner_id, commercial_id, partner_type, _name, _email in rows:
            if partner_type == "invoice" and partner_id != commercial_id:
                invoice_contacts[commercial_id].append(partner_id)
        recipients = {}
        for customer in customers:
            override = customer.collection_contact_id.id
            # a contact moved to another customer since it was chosen is not this one's
            if override in usable and commercial[override] == customer.id:
                to_ids = [override]
            elif invoice_contacts.get(customer.id):
                to_ids = invoice_contacts[customer.id]
            else:
                to_ids = [customer.id] if customer.id in usable else []
            recipients[customer.id] = [(partner_id, usable[partner_id]) for partner_id in to_ids]
        return recipients, {partner.id: usable[partner.id] for partner in cc_partners if partner.id in usable}

    def _collection_statement_cases(self):
        """The open cases of these customers in the current companies: the statement is about them."""
        # sudo: the cases of the customers the user emails, to guard and log the contact
        return (
            self.env["collection.case"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("state", "=", "open"),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
        )

    def _collection_check_statement(self):
        """Emailing the statement is a contact like a reminder: the engine's guards (stage,
        do-not-contact, opt-out, address, contact window, weekly cap) refuse it the same way."""
        cases = self._collection_statement_cases()
        cases._check_manual_contact("email")
        for partner in self.commercial_partner_id - cases.partner_id:
            blocked = partner._collection_block_reason("email")
            if blocked:
                raise UserError(
                    self.env._("Not sent:\n%(partner)s: %(reason)s", partner=partner.display_name, reason=blocked[1])
                )

    def _collection_log_statement(self, messages):
        """Log the statement emailed to each customer on its open cases."""
        cases = self._collection_statement_cases()
        message_by_partner = {
            message.res_id: message for message in messages.filtered(lambda m: m.model == "res.partner")
        }
        self.env["collection.event"].sudo().create(
            [
                case._event_vals(
                    self.env._("Customer statement emailed"),
                    channel="email",
                    kind="statement",
                    mail_message_id=message_by_partner.get(case.partner_id.id, messages.browse()).id,
                    invoice_ids=[Command.set(case.open_invoice_ids.ids)],
                )
                for case in cases
            ]
        )

    def action_send_collection_statement(self):
        """Open the email composer with the customer statement attached, if the customer may be
        contacted now (see ``_collection_check_statement``, checked again when sent)."""
        check_group(self.env, GROUP_USER, self.env._("send a customer statement"))
        self.ensure_one()
        partner = self.commercial_partner_id
        partner._collection_check_statement()
        template = self.env.ref("account_collections.mail_template_customer_statement")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": partner.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    def action_view_collection_cases(self):
        check_group(self.env, GROUP_USER, self.env._("view the collection cases of a customer"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_case")
        cases = self.commercial_partner_id.collection_case_ids
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 0}
        if len(cases) == 1:
            action.update(view_mode="form", res_id=cases.id, views=[(False, "form")])
        return action
