from . import test_policy
from . import test_case_refresh
from . import test_engine
from . import test_charges
from . import test_reports
from . import test_letters_statement
