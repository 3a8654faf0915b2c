"""Entry point for oslo-config-generator (``oslo.config.opts``)."""

from ironic_nbde.conf import agent
from ironic_nbde.conf import luks
from ironic_nbde.conf import tang

_OPTS = [
    (agent.GROUP, agent.opts),
    (tang.GROUP, tang.opts),
    (luks.GROUP, luks.opts),
]


def list_opts():
    """Return a list of (group, options) for the sample config file."""
    return [(group, list(opts)) for group, opts in _OPTS]
