from . import collection_agency_handover
from . import collection_agency_handover_line
from . import collection_agency_recall
from . import collection_agency_import_wizard
