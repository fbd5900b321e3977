from . import collection_dispute_resolve
from . import collection_log_call
from . import collection_aged_receivable_wizard
from . import collection_write_off_wizard
from . import collection_legal_handover
from . import mail_compose_message
