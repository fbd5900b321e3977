"""Who may call what: the one check every public method makes before it does anything.

A method callable over RPC checks its caller's group first and only then runs ``sudo()``.
The superuser (crons, the engine's own calls, install) always passes.
"""

from odoo.exceptions import AccessError

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
