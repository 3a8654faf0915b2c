# IPA registers its own options when the agent starts; its modules read
# them at import time, so the tests do the same before importing them.
from ironic_python_agent import config

config.populate_config()
