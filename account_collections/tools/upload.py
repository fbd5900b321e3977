"""Limits of what a user may upload (portal attachments, agency status files), checked before parsing.

Both limits are system parameters (Settings > Technical > System Parameters):
``account_collections.upload_max_mb`` (default 10 MB) and ``account_collections.upload_max_rows``
(default 50,000 rows of a status file). A missing, non-numeric or non-positive value means the default.
"""

from odoo.exceptions import UserError

DEFAULT_MAX_MB = 10
DEFAULT_MAX_ROWS = 50000
PARAM_MAX_MB = "account_collections.upload_max_mb"
PARAM_MAX_ROWS = "account_collections.upload_max_rows"


def _positive_param(env, key, default):
    # sudo: reading two technical limits, no data of anyone
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def upload_max_bytes(env):
    """Largest upload accepted, in bytes."""
    return _positive_param(env, PARAM_MAX_MB, DEFAULT_MAX_MB) * 1024 * 1024


def upload_max_rows(env):
    """Most data rows accepted in one uploaded file."""
    return _positive_param(env, PARAM_MAX_ROWS, DEFAULT_MAX_ROWS)


def upload_size_error(env, size, filename):
    """The message refusing an upload of ``size`` bytes, or ``None`` when it is within the limit."""
    limit = upload_max_bytes(env)
    if size <= limit:
        return None
    return env._(
        "The file %(file)s is larger than %(limit)s MB: send a smaller file (split it if needed).",
        file=filename or env._("(no name)"),
        limit=limit // (1024 * 1024),
    )


def read_upload(env, upload):
    """The content (bytes) of an uploaded ``werkzeug`` file, refused with a ``UserError`` when it is
    over the size limit; never more than the limit plus one byte is read into memory."""
    limit = upload_max_bytes(env)
    content = upload.read(limit + 1)
    message = upload_size_error(env, len(content), upload.filename)
    if message:
        raise UserError(message)
    return content
