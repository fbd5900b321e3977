from . import portal
from . import portal_settlement
from . import link_tracker
from . import portal_plan
