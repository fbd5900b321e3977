from . import collection_letter
from . import customer_statement
