from . import collection_letter
from . import customer_statement
from . import aged_receivable
from . import collection_effectiveness_report
from . import collection_agreement_report
from . import collection_workload_report
from . import collection_cash_forecast_report
from . import collection_dispute_report
