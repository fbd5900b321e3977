from . import test_agency
from . import test_handover
from . import test_export
from . import test_recall
from . import test_agency_report
from . import test_import
from . import test_settlement
from . import test_agency_portal
