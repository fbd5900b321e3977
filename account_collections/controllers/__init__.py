from . import portal
from . import portal_settlement
from . import link_tracker
