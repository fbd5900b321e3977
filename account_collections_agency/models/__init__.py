from . import collection_agency_column
from . import collection_agency
from . import collection_agency_placement
from . import collection_agency_placement_line
from . import collection_case_placement
from . import collection_agency_import
from . import collection_agency_import_line
