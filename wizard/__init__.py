from . import account_dunning_segment_override
from . import account_dunning_run_wizard
from . import account_dunning_payment_plan_wizard
from . import account_dunning_letter_cancel_sent
