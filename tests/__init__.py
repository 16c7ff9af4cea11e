from . import test_dunning_run
from . import test_letters
