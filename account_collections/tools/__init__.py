from .access import GROUP_MANAGER, GROUP_USER, check_companies, check_group
from .run_date import check_date, collection_today
