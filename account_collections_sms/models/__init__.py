from . import collection_level
from . import collection_case
from . import collection_engine
from . import mail_notification
from . import res_company
from . import res_config_settings
from . import collection_payment_plan
from . import collection_promise
