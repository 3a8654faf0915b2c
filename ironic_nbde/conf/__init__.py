"""Configuration options of ironic-nbde, registered per group."""

from oslo_config import cfg

from ironic_nbde.conf import agent
from ironic_nbde.conf import luks
from ironic_nbde.conf import tang

CONF = cfg.CONF

agent.register_opts(CONF)
tang.register_opts(CONF)
luks.register_opts(CONF)
