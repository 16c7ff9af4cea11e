from . import account_dunning_segment_override
from . import account_dunning_run_wizard
from . import account_dunning_payment_plan_wizard
from . import account_dunning_letter_cancel_sent
from . import account_dunning_run_wizard_notice
from . import mail_compose_message
from . import account_dunning_letter_remove_invoice
from . import account_dunning_level_change
