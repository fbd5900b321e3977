"""Step: refresh the cases from the open receivables — what the refresh writes.

Opens cases (``create``, with their sequence reference), writes the amounts and next actions
that changed and points the invoices at their case (the write layer, ``models/bulk_sql.py``),
closes the cases with nothing left to collect and thanks the customers who paid in full.
"""

from ..models.bulk_sql import bulk_insert, bulk_update


class RefreshWriteStep:
    """What the refresh writes (see ``refresh.py`` for what it reads and decides)."""

    # a mixin of the model: no instance dict, like the model (models.BaseModel.__slots__)
    __slots__ = ()

    def _create_cases(self, run, vals_list):
        """Open cases, complete: stage, collector and next action are worked out first for all of
        them; the ORM computes the risk and priority.

        :param vals_list: amounts, policy, customer, company and currency of each case
        :return: the new cases, in the order of ``vals_list``
        """
        Case = self._refresh_cases_model(run)
        if not vals_list:
            return Case.browse()
        stage = self.env["collection.stage"]._get_by_code("new")
        levels_by_policy = Case._policy_level_delays([vals["policy_id"] for vals in vals_list])
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        # each case starts with its customer's collector in its company (a per-company field)
        collectors = {}
        for company in self.env["res.company"].browse({vals["company_id"] for vals in vals_list}):
            for partner in partners.with_company(company):
                collectors[(partner.id, company.id)] = partner.collection_user_id.id
        for vals in vals_list:
            next_level, next_date = Case._next_action_for(
                levels_by_policy.get(vals["policy_id"], []), None, vals["oldest_due_date"], None
            )
            vals.update(
                state="open",
                stage_id=stage.id,
                user_id=collectors.get((vals["partner_id"], vals["company_id"])) or False,
                next_level_id=next_level,
                next_action_date=next_date,
            )
        # the write layer, not create(): on the bench (a refresh opening 6,152 cases from 20,000
        # invoices, 2 cores, load 3), create() took 4.3-6.7 s and 103 queries (1.6-1.8 s of Python)
        # against 2.9-5.8 s and 36 queries here (0.8-1.0 s of Python). The reference, the defaults
        # and the computed fields (risk, priority) come as with create(): sequence, default_get, ORM.
        Case._set_references(vals_list)
        cases = Case.browse(bulk_insert(Case, vals_list))
        self.env["collection.event"].sudo()._log([case._event_vals(self.env._("Case opened")) for case in cases])
        return cases

    def _write_amounts(self, run, updates):
        """Write the refreshed amounts of many cases ({case id: values}) in one statement; their
        priority follows (computed by the ORM, written in bulk).

        The write layer, not ``write`` grouped by values (amounts differ from case to case): on the
        bench, a refresh updating 596 cases took 0.77-0.86 s and 1,225 queries through
        ``_write_workflow`` against 0.46-0.55 s and 31 queries here.
        """
        bulk_update(self._refresh_cases_model(run), updates)

    def _write_next_actions(self, run, next_actions):
        """Write the next level and date of many cases ({case id: values}) in one statement (the
        write layer, as the amounts: they differ from case to case)."""
        bulk_update(self._refresh_cases_model(run), next_actions)

    def _link_invoices(self, run, move_links):
        """Point every open invoice at its case ([(case id, invoice ids)]), in one statement.

        The write layer, not ``write`` on the invoices of each case: on the bench, linking the
        20,000 invoices of 6,152 new cases took 118-137 s and 47,720 queries through
        ``account.move.write`` against about 1 s and 2 queries here.
        """
        Move = self.env["account.move"].sudo()
        case_by_move = {move_id: case_id for case_id, move_ids in move_links for move_id in move_ids}
        moves = Move.browse(case_by_move)
        moves.fetch(["collection_case_id"])
        linked = [move.id for move in moves if move.collection_case_id.id != case_by_move[move.id]]
        if not linked:
            return
        if len(linked) < self._batch_size():
            # a few invoices (one customer's, say): their expected dates wait for the daily run
            bulk_update(Move, {move_id: {"collection_case_id": case_by_move[move_id]} for move_id in linked})
            return
        # many: their expected payment dates in the same statement, where the expected-dates step
        # would pass over these rows again at the same cost (4.8 s for the bench's 83,500 new
        # invoices); the step then rewrites only those that settling the agreements changes
        self.env.flush_all()
        expected = self._expected_dates_of(run.companies, run.today, move_ids=linked)
        bulk_update(
            Move,
            {
                move_id: {
                    "collection_case_id": case_by_move[move_id],
                    "collection_expected_base_date": expected.get(move_id, (None, None))[0],
                    "collection_expected_source": expected.get(move_id, (None, None))[1],
                }
                for move_id in linked
            },
        )

    def _close_paid(self, run, cases, owing):
        """Close the cases the refresh no longer finds anything to collect on; thank the
        customers who paid in full (``owing``: the (customer, company, currency) still owing,
        e.g. a balance under the pre-due threshold, which closes the case without thanks)."""
        if not cases:
            return
        cases._close(run.today)
        if run.thank:
            self._send_thanks(
                run, cases.filtered(lambda c: (c.partner_id.id, c.company_id.id, c.currency_id.id) not in owing)
            )

    def _send_thanks(self, run, cases):
        """Email a thank-you note on cases paid in full, where the company wants it."""
        template = self.env.ref("account_collections.mail_template_collection_thanks", raise_if_not_found=False)
        cases = cases.filtered(lambda c: c.company_id.collection_send_thanks and not c._channel_block_reason("email"))
        if not template or not cases:
            return
        mails, errors = template._collection_queue_mails(cases)
        self.env["collection.event"].sudo().create(
            [
                case._event_vals(
                    self.env._("Thank-you email"),
                    channel="email",
                    state="queued" if case.id in mails else "failed",
                    reason=False if case.id in mails else errors.get(case.id),
                    reason_code=False if case.id in mails else "render",
                    level_id=False,  # not a level's reminder
                    mail_mail_id=mails[case.id].id if case.id in mails else False,
                    mail_message_id=mails[case.id].mail_message_id.id if case.id in mails else False,
                )
                for case in cases
            ]
        )
