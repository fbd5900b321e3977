from . import collection_agency_report
