from . import collection_dispute_resolve
from . import collection_log_call
