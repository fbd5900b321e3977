from . import test_sms_level
from . import test_sms_engine
from . import test_sms_plan
from . import test_sms_promise
from . import test_sms_faults
