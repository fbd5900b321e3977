from . import test_sms_level
