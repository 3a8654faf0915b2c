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

"""The documented ironic.conf line loads the hooks for stock drivers."""

import json
import os
import subprocess
import sys
import textwrap

from ironic.common import driver_factory
from ironic.common import exception as ironic_exception
from ironic.conductor import task_manager
from ironic.drivers.modules import agent_base

from ironic_nbde.conductor import hooks
from ironic_nbde.conductor import interface
from tests import base as nbde_base
from tests.unit.conductor import base

# What a fresh conductor process does at start-up, from an ironic.conf
# with the README's line: load the enabled interfaces of every hardware
# type. It prints the hooks registered before and after, and which vendor
# interface each stock hardware type uses by default.
_CONDUCTOR_START = textwrap.dedent('''
    import json, sys, warnings
    from unittest import mock
    warnings.simplefilter('ignore')
    from ironic.common import driver_factory
    from ironic.conf import CONF
    from ironic.drivers.modules import agent_base, ipmitool

    def hooks():
        return {t: sorted(agent_base._POST_STEP_HOOKS.get(t, {})
                          .get('deploy', {}))
                for t in ('deploy', 'clean', 'service')}

    CONF(['--config-file', sys.argv[1]], project='ironic')
    before = hooks(), 'ironic_nbde.conductor.hooks' in sys.modules
    defaults = {}
    # ipmi checks for the ipmitool binary when loaded; not this test's point
    with mock.patch.object(ipmitool, '_constructor_checks'):
        for name, hw in driver_factory.hardware_types().items():
            driver_factory.enabled_supported_interfaces(hw)
            defaults[name] = driver_factory.default_interface(hw, 'vendor')
    print(json.dumps({'before': before, 'after': hooks(),
                      'defaults': defaults}))
''')

_IRONIC_CONF = '''
[DEFAULT]
enabled_hardware_types = ipmi,redfish,manual-management
enabled_boot_interfaces = pxe
enabled_deploy_interfaces = direct
enabled_power_interfaces = ipmitool,redfish,fake
enabled_management_interfaces = ipmitool,redfish,noop
%s
[pxe]
tftp_root = %s
'''


class FreshConductorTest(nbde_base.TestCase):

    def start(self, vendor_line):
        tmp = self.useFixture(nbde_base.fixtures.TempDir()).path
        conf = os.path.join(tmp, 'ironic.conf')
        with open(conf, 'w') as f:
            f.write(_IRONIC_CONF % (vendor_line, tmp))
        out = subprocess.run([sys.executable, '-c', _CONDUCTOR_START, conf],
                             capture_output=True, text=True, timeout=120,
                             cwd=tmp, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def test_documented_line_registers_every_hook(self):
        got = self.start('enabled_vendor_interfaces = '
                         'ipmitool,redfish,no-vendor,nbde')
        nothing = {'deploy': [], 'clean': [], 'service': []}
        self.assertEqual([nothing, False], got['before'])
        self.assertEqual(
            {'deploy': ['erase_devices_metadata', 'nbde_encrypt'],
             'clean': ['erase_devices', 'erase_devices_metadata',
                       'nbde_crypto_erase'],
             'service': ['nbde_rebind']}, got['after'])
        # Nodes keep their stock vendor interface.
        self.assertEqual({'ipmi': 'ipmitool', 'redfish': 'redfish',
                          'manual-management': 'no-vendor'},
                         got['defaults'])

    def test_without_the_line_nothing_is_registered(self):
        got = self.start('')
        self.assertEqual([], got['after']['deploy'])


class InConductorTest(base.ConductorTestCase):

    def test_loaded_through_the_vendor_entry_point(self):
        loaded = driver_factory.interfaces('vendor')
        self.assertIsInstance(loaded['nbde'], interface.NbdeHookLoader)

    def test_hooks_are_found_by_ironics_lookup(self):
        for step_type, step, func in (
                ('deploy', 'nbde_encrypt', hooks.record_binding),
                ('service', 'nbde_rebind', hooks.update_binding)):
            self.node.provision_state = base.WAIT[step_type]
            setattr(self.node, '%s_step' % step_type,
                    {'interface': 'deploy', 'step': step})
            self.assertIs(func, agent_base._get_post_step_hook(
                self.node, step_type))

    def test_stock_node_keeps_its_driver(self):
        with task_manager.acquire(self.context, self.node.uuid) as task:
            hw_type = driver_factory.get_hardware_type(task.node.driver)
            self.assertEqual('ManualManagementHardware',
                             type(hw_type).__name__)
            self.assertEqual('AgentDeploy', type(task.driver.deploy).__name__)
            self.assertEqual('no-vendor', task.node.vendor_interface)

    def test_not_attachable_to_a_stock_hardware_type(self):
        self.node.vendor_interface = 'nbde'
        self.assertRaises(ironic_exception.IncompatibleInterface,
                          driver_factory.check_and_update_node_interfaces,
                          self.node)
