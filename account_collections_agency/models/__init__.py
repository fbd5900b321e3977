from . import collection_agency_column
from . import collection_agency
