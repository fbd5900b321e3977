from . import portal
from . import portal_settlement
from . import portal_plan
