from . import test_agency
