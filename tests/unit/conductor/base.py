# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Conductor unit test base: Ironic's own DB test case, real step dispatch.

Nodes use a stock hardware type (manual-management) with the stock
``direct`` deploy interface; ``[DEFAULT]enabled_vendor_interfaces`` holds
``nbde`` as the README documents. A step result reaches the hooks the way
it does in a conductor: :meth:`run_agent_step` feeds the agent's command
status to the deploy interface's real ``process_next_step``, which looks
the hook up in Ironic's registry and calls it. Only the agent's HTTP API
and the move to the next step are replaced.
"""

import logging
from unittest import mock

import fixtures

from ironic.common import states
from ironic.conductor import task_manager
from ironic.drivers import base as drivers_base
from ironic.drivers.modules import agent_base
from ironic.drivers.modules import agent_client
# Imported now: loading the hardware types later, under the test base's
# ban on subprocesses, would import zeroconf, which runs ldconfig.
from ironic.drivers import generic  # noqa: F401
from ironic.tests.unit.db import base as db_base
from ironic.tests.unit.objects import utils as object_utils

from ironic_nbde.conductor import interface  # noqa: F401  as the conductor

ENABLED = {'boot': ['pxe', 'fake'], 'deploy': ['direct', 'fake'],
           'power': ['fake'], 'management': ['noop', 'fake'],
           'network': ['noop'], 'vendor': ['no-vendor', 'nbde'],
           'storage': ['noop']}
WAIT = {'deploy': states.DEPLOYWAIT, 'clean': states.CLEANWAIT,
        'service': states.SERVICEWAIT}


class ConductorTestCase(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        # Every logger (Ironic's too), to prove no secret is logged. The
        # DB fixture's first migration ran alembic's fileConfig, which
        # disables every logger created before it: ours among them.
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        for name, logger in logging.root.manager.loggerDict.items():
            if name.startswith('ironic_nbde') and isinstance(
                    logger, logging.Logger):
                logger.disabled = False
        for iface in drivers_base.ALL_INTERFACES:
            values = ENABLED.get(iface, ['fake', 'no-%s' % iface])
            self.config(**{'enabled_%s_interfaces' % iface: values,
                           'default_%s_interface' % iface: None})
        self.config(enabled_hardware_types=['manual-management'])
        self.node = object_utils.create_test_node(
            self.context, driver='manual-management',
            deploy_interface='direct', boot_interface='pxe',
            power_interface='fake', management_interface='noop',
            network_interface='noop', vendor_interface='no-vendor')

    def run_agent_step(self, step_type, step, result, properties=None):
        """Let Ironic process a SUCCEEDED agent step returning ``result``.

        :returns: (the node reloaded from the DB, the failure message
            Ironic would have put in last_error, or None).
        """
        node = self.node
        node.provision_state = WAIT[step_type]
        if properties is not None:
            node.properties = properties
        current = {'interface': 'deploy', 'step': step, 'priority': 50,
                   'args': {}}
        setattr(node, '%s_step' % step_type, current)
        node.save()
        command = {'command_name': 'execute_%s_step' % step_type,
                   'command_status': 'SUCCEEDED', 'command_error': None,
                   'command_result': {'%s_step' % step_type: current,
                                      '%s_result' % step_type: result}}
        with mock.patch.object(agent_client.AgentClient,
                               'get_commands_status', autospec=True,
                               return_value=[command]), \
                mock.patch.object(agent_base, '_continue_steps',
                                  autospec=True) as cont, \
                mock.patch.object(agent_base, '_step_failure_handler',
                                  autospec=True) as failed, \
                task_manager.acquire(self.context, node.uuid) as task:
            task.driver.deploy.process_next_step(task, step_type)
        node.refresh()
        if failed.called:
            self.assertFalse(cont.called)
            return node, failed.call_args[0][1]
        cont.assert_called_once_with(mock.ANY, step_type)
        return node, None
