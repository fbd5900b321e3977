from collections import defaultdict
from datetime import timedelta

from odoo import Command


class ExecuteLevelsStep:
    """Step: each case of the batch runs its highest due level; the level, stage and next
    action of the whole batch are written in one statement before the channels run."""

    __slots__ = ()  # like a model class (see CollectionEngine)

    def _levels_to_execute(self, run, cases):
        """The level each case runs now: the highest due one, the ones jumped on the way.

        A level that is not *Run automatically* waits for the collector: the engine never runs
        it, never jumps past it; a collector's click (``run.force``) runs it, alone.

        :return: {case: (level, jumped levels)}
        """
        result = {}
        # each policy's levels read once for the batch: (level, delay, automatic)
        levels_by_policy = {
            policy.id: [(level, level.delay_days, level.auto_execute) for level in policy.level_ids]
            for policy in cases.policy_id
        }
        for case in cases:
            current = case.level_id.delay_days if case.level_id else None
            oldest_due_date = case.oldest_due_date
            due = []
            for level, delay, automatic in levels_by_policy.get(case.policy_id.id, []):
                if current is not None and delay <= current:
                    continue
                if not automatic and due:
                    break
                if run.force and not due:
                    due.append(level)
                    if not automatic:
                        break  # the collector runs this manual level: nothing is jumped past it
                    continue
                if oldest_due_date + timedelta(days=delay) > run.today:
                    break
                due.append(level)
                if not automatic:
                    break
            if due:
                result[case] = (due[-1], due[:-1])
        return result

    def _execute_levels(self, run, levels):
        """Move each case to its level (``levels``: {case: (level, jumped levels)}): what the batch
        changes on the cases (level, stage, next action) is decided first and written in one
        UPDATE. No chatter tracking: the events returned (the levels jumped, the level executed and
        the stage it moved the case to) are the case's history.

        :return: the event values to log
        """
        Case = self.env["collection.case"]
        events = []
        for case, (level, jumped) in levels.items():
            if jumped:
                events.append(
                    self._event_vals(
                        run,
                        case,
                        self.env._(
                            "Levels not sent: %(skipped)s. %(level)s was already due",
                            skipped=", ".join(jumped_level.name for jumped_level in jumped),
                            level=level.name,
                        ),
                        state="skipped",
                        reason=self.env._("Jumped to a later level"),
                        reason_code="jumped",
                        level_id=False,
                    )
                )
        cases = Case.browse([case.id for case in levels])
        if not cases:
            return events
        reminded = self.env["collection.stage"]._get_by_code("reminded")
        stages = {
            case.id: stage
            for case, (level, _jumped) in levels.items()
            if (stage := self._stage_after_level(case, level, reminded))
        }
        self.env.cache.update(cases, Case._fields["level_id"], [levels[case][0].id for case in cases])
        # one event per case for the level and the stage it moves the case to
        for case in cases:
            level = levels[case][0]
            name = (
                self.env._(
                    "Level %(level)s executed: stage moved from %(old)s to %(new)s",
                    level=level.name,
                    old=case.stage_id.name,
                    new=stages[case.id].name,
                )
                if case.id in stages
                else self.env._("Level %s executed", level.name)
            )
            events.append(self._event_vals(run, case, name, level_id=level.id))
        # the next level follows the stage the level moves the case to (none at an agency)
        self.env.cache.update(
            cases, Case._fields["stage_id"], [(stages.get(case.id) or case.stage_id).id for case in cases]
        )
        next_values = cases._next_action_values()
        cases._write_engine_values(
            {
                case.id: {
                    "level_id": levels[case][0].id,
                    "last_action_date": run.today,
                    "stage_id": stages[case.id].id if case.id in stages else case.stage_id.id,
                    "next_level_id": case.next_level_id.id,
                    "next_action_date": case.next_action_date,
                }
                | next_values.get(case.id, {})
                for case in cases
            }
        )
        return events

    def _stage_after_level(self, case, level, reminded):
        """The stage ``case`` moves to when ``level`` runs, or None: the level's stage moves cases
        still at New or Reminded; a level without one moves New to ``reminded``."""
        stage = level.stage_id or reminded
        movable = ("new", "reminded") if level.stage_id else ("new",)
        current = case.stage_id
        if current.code in movable and current != stage:
            return stage
        return None

    def _cases_by_level(self, levels):
        """{level: its cases} of ``levels`` ({case: (level, jumped levels)}), each read with the
        whole batch (whichever level a case runs, the batch's records are fetched together)."""
        by_level = defaultdict(list)
        for case, (level, _jumped) in levels.items():
            by_level[level].append(case.id)
        Case = self.env["collection.case"]
        prefetch = [case.id for case in levels]
        return {level: Case.browse(ids).with_prefetch(prefetch) for level, ids in by_level.items()}

    def _left_out_events(self, run, level, cases):
        """Skip events for the open invoices the level leaves out of each case's reminder:
        excluded from dunning, on hold under an agreement, time-barred.

        The agreements that hold invoices, in their order (see ``account.move.collection_hold``):
        promise, payment plan, settlement offer, dispute.
        """
        hold_reasons = [
            ("promised", "promise", self.env._("Promise to pay open")),
            ("plan", "plan", self.env._("Covered by a payment plan")),
            ("settlement", "settlement", self.env._("Settlement offer standing")),
            ("disputed", "dispute", self.env._("Invoice disputed")),
        ]
        events = []
        for case in cases:
            if len(case.open_invoice_ids) == len(case.dunning_invoice_ids):
                continue  # every open invoice is dunned: nothing left out
            excluded = case.open_invoice_ids - case.dunning_invoice_ids
            blocked = excluded.filtered("collection_blocked")
            held = excluded.filtered("collection_hold") - blocked
            left_out = [("blocked", blocked, self.env._("Invoice excluded from dunning"))]
            left_out += [
                (code, held.filtered(lambda m, hold=hold: m.collection_hold == hold), reason)
                for code, hold, reason in hold_reasons
            ]
            left_out.append(("time_barred", excluded - blocked - held, self.env._("Invoice time-barred")))
            for code, invoices, reason in left_out:
                if invoices:
                    events.append(
                        self._event_vals(
                            run,
                            case,
                            self.env._(
                                "%(level)s: %(invoices)s left out",
                                level=level.name,
                                invoices=", ".join(invoices.mapped("name")),
                            ),
                            state="skipped",
                            reason=reason,
                            reason_code=code,
                            level_id=level.id,
                            invoice_ids=[Command.set(invoices.ids)],
                        )
                    )
        return events
