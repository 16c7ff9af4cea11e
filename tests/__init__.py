from . import test_dunning_run
from . import test_scoring
from . import test_configuration
from . import test_payment_plan
from . import test_disputes
from . import test_legal
from . import test_limitation
from . import test_demo
