"""Who may call what: the one check every public method makes before it does anything.

A method callable over RPC checks its caller's group first and only then runs ``sudo()``.
The superuser (crons, the engine's own calls, install) always passes.
"""

from odoo.exceptions import AccessError, UserError

GROUP_USER = "account_collections.group_collection_user"
GROUP_MANAGER = "account_collections.group_collection_manager"


def check_group(env, group, what):
    """Raise an ``AccessError`` unless the environment's user is in ``group`` (an XML id).

    :param env: the caller's environment (not a sudo one)
    :param group: XML id of the group required, e.g. ``GROUP_MANAGER``
    :param what: what the caller tried, for the message (a translated phrase)
    """
    if env.su or env.user.has_group(group):
        return
    group_name = env.ref(group).sudo().full_name
    raise AccessError(
        env._(
            "%(user)s may not %(what)s: this requires the group '%(group)s'. Ask an administrator for it.",
            user=env.user.name,
            what=what,
            group=group_name,
        )
    )


def check_companies(env, company_ids, what, default=None):
    """The companies a public method works on, as the caller passed them (``company_ids``).

    A caller may name only companies of their own (``res.users.company_ids``); the superuser
    any. Without ids: ``default`` if given, else the caller's current companies.

    :param env: the caller's environment (not a sudo one)
    :param company_ids: an id, a list of ids, or nothing
    :param what: what the caller tried, for the messages (a translated phrase)
    :return: the companies (sudo)
    :raise UserError: ids that are not a list of ids of existing companies
    :raise AccessError: ids of companies that are not the caller's
    """
    Company = env["res.company"].sudo()
    if not company_ids:
        return (default if default is not None else env.companies).sudo()
    if type(company_ids) is int:
        company_ids = [company_ids]
    if not isinstance(company_ids, list | tuple) or not all(type(cid) is int for cid in company_ids):
        raise UserError(
            env._(
                "company_ids must be a list of company ids to %(what)s, got %(value)s.",
                what=what,
                value=repr(company_ids)[:100],
            )
        )
    companies = Company.browse(company_ids).exists()
    if len(companies) != len(set(company_ids)):
        missing = sorted(set(company_ids) - set(companies.ids))
        raise UserError(
            env._("Unknown company ids %(ids)s: pass ids of existing companies to %(what)s.", ids=missing, what=what)
        )
    foreign = companies - env.user.company_ids
    if foreign and not env.su:
        raise AccessError(
            env._(
                "%(user)s may not %(what)s for %(companies)s: not a company of theirs. Pass ids of your own companies.",
                user=env.user.name,
                what=what,
                companies=", ".join(foreign.mapped("name")),
            )
        )
    return companies
