from collections import defaultdict


class GroupRemindersStep:
    """Step: one reminder email per customer and company.

    A customer with several cases in a company (one per currency) whose levels email today gets
    one reminder: the level due on its most overdue case (the lead), listing the items of every
    case, each case logging it. The companies stay apart: another sender, another letterhead.
    Who receives each reminder is resolved here too, for the whole batch in one query.
    """

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _resolve_addresses(self, run):
        """Who the reminders of the run's due customers go to (see
        ``res.partner._collection_email_recipients``), for all of them at once: their two
        fields the resolution reads in one query, the addresses in another, where each batch
        would read them again (``run.addresses``; a batch reads only the Cc its levels ask)."""
        customer_ids = {partner_id for _company_id, partner_id in run.due_customers.values()}
        customers = self.env["res.partner"].browse(customer_ids)
        if not customers:
            return
        customers.fetch(["commercial_partner_id", "collection_contact_id"])
        run.addresses = customers._collection_email_recipients()[0]

    def _group_reminders(self, run, levels):
        """Group the batch's reminder emails (``levels``: {case: (level, jumped levels)}) into
        ``run.reminder_leads`` ({case id: its lead's case id}, for the customers with several)
        and resolve their recipients into ``run.recipients`` (see
        ``collection.case._collection_recipients``), at the level each is sent at."""
        by_customer = defaultdict(list)
        for case, (level, _jumped) in levels.items():
            if level.send_email:
                by_customer[(case.partner_id.id, case.company_id.id)].append(case)
        email_levels = {}
        for cases in by_customer.values():
            lead = min(cases, key=lambda case: (case.oldest_due_date, case.id))
            for case in cases:
                email_levels[case.id] = levels[lead][0]
                if len(cases) > 1:
                    run.reminder_leads[case.id] = lead.id
        if email_levels:
            Case = self.env["collection.case"].with_prefetch([case.id for case in levels])
            run.recipients.update(
                Case.browse(list(email_levels))._collection_recipients(email_levels, addresses=run.addresses)
            )
