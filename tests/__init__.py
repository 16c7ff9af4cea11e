from . import test_dunning_run
from . import test_disputes
from . import test_legal
from . import test_limitation
