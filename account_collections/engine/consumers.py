from datetime import timedelta

# call outcomes that were a conversation with the customer
CONVERSATION_OUTCOMES = ("reached", "promise", "refused")


class ConsumerRules:
    """The rules for consumers: customers that are individuals (``is_company`` off) or carry one of
    the company's consumer tags (``collection_consumer_category_ids``). Statutory interest and the
    fixed compensation are business-to-business (unless the company opts in:
    ``collection_consumer_interest``), and a call limit holds per debt, that is per case
    (Regulation F by default: at most 7 call attempts in 7 days, none in the 7 days after a
    conversation; ``collection_call_*``)."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _consumer_cases(self, cases):
        """The cases of ``cases`` whose customer is a consumer."""
        return cases.filtered(
            lambda case: not case.partner_id.is_company
            # the customers' tags are read only where the company lists consumer tags
            or bool(
                case.company_id.collection_consumer_category_ids
                and case.partner_id.category_id & case.company_id.collection_consumer_category_ids
            )
        )

    def _call_limit_reasons(self, cases, now):
        """{case: why no call may be made on it at ``now``} for the consumer cases of ``cases``
        over their company's call limit (one query for all)."""
        consumers = self._consumer_cases(cases)
        if not consumers:
            return {}
        longest = max(
            max(company.collection_call_period_days, company.collection_call_pause_days)
            for company in consumers.company_id
        )
        calls = (
            self.env["collection.event"]
            .sudo()
            .search_read(
                [
                    ("case_id", "in", consumers.ids),
                    ("channel", "=", "call"),
                    ("state", "=", "sent"),
                    ("date", ">", now - timedelta(days=longest)),
                ],
                ["case_id", "date", "direction", "outcome"],
                order="date desc",
            )
        )
        by_case = {}
        for call in calls:
            by_case.setdefault(call["case_id"][0], []).append(call)
        reasons = {}
        for case in consumers:
            company = case.company_id
            case_calls = by_case.get(case.id, [])
            pause_start = now - timedelta(days=company.collection_call_pause_days)
            conversation = next(
                (c for c in case_calls if c["outcome"] in CONVERSATION_OUTCOMES and c["date"] > pause_start), None
            )
            period_start = now - timedelta(days=company.collection_call_period_days)
            attempts = [c for c in case_calls if c["direction"] == "outbound" and c["date"] > period_start]
            if conversation:
                reasons[case] = self.env._(
                    "a conversation with the consumer on %(date)s: no call on this debt for %(days)s days after it",
                    date=conversation["date"].date(),
                    days=company.collection_call_pause_days,
                )
            elif len(attempts) >= company.collection_call_max_attempts:
                reasons[case] = self.env._(
                    "call limit reached: %(count)s call attempts on this debt in %(days)s days",
                    count=len(attempts),
                    days=company.collection_call_period_days,
                )
        return reasons
