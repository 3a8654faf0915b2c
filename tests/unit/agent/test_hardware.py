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

"""The manager as IPA sees it: loading, support level, steps, version."""

import configparser
import os

from ironic_python_agent import hardware as ipa_hardware

from ironic_nbde.agent import hardware
from ironic_nbde.contract import steps
from ironic_nbde.conf import CONF
from tests.unit.agent import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class ManagerTest(base.AgentTestCase):

    def test_entry_point_declared(self):
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(ROOT, 'setup.cfg'))
        group = cfg['entry_points']['ironic_python_agent.hardware_managers']
        self.assertIn('ironic_nbde.agent.hardware:NbdeHardwareManager',
                      group)

    def test_added_beside_the_stock_manager(self):
        managers = ipa_hardware.get_managers()
        self.assertEqual(['NbdeHardwareManager', 'GenericHardwareManager'],
                         [type(m).__name__ for m in managers])
        self.assertEqual(ipa_hardware.HardwareSupport.SERVICE_PROVIDER,
                         managers[0].evaluate_hardware_support())
        # Disk listing still answered by the stock manager.
        self.assertEqual(base.DISKS, ipa_hardware.dispatch_to_managers(
            'list_block_devices'))

    def test_version(self):
        versions = ipa_hardware.get_current_versions()
        self.assertEqual(
            hardware.NbdeHardwareManager.HARDWARE_MANAGER_VERSION,
            versions['NbdeHardwareManager'])

    def _steps(self, kind):
        found = ipa_hardware.dispatch_to_all_managers(
            'get_%s_steps' % kind, base.NODE, [])
        self.assertIn('GenericHardwareManager', found)
        return {s['step']: s for s in found['NbdeHardwareManager']}

    def test_steps_advertised(self):
        expected = [(s.kind, s.name, s.argsinfo) for s in steps.STEPS]
        self.assertEqual(['nbde_encrypt', 'nbde_check_tang',
                          'nbde_crypto_erase', 'nbde_rebind'],
                         [e[1] for e in expected])
        for kind, name, argsinfo in expected:
            step = self._steps(kind)[name]
            self.assertEqual({'step': name, 'priority': 0,
                              'interface': 'deploy',
                              'reboot_requested': False,
                              'abortable': False, 'argsinfo': argsinfo},
                             step)
            for arg in argsinfo.values():
                self.assertTrue(arg['description'])
                self.assertIn('required', arg)
            self.assertTrue(callable(getattr(
                hardware.NbdeHardwareManager, name)))

    def test_step_names_are_prefixed_and_unique(self):
        names = [s['step'] for kind in ('deploy', 'clean', 'service')
                 for s in self._steps(kind).values()]
        self.assertTrue(all(n.startswith('nbde_') for n in names))
        self.assertEqual(len(names), len(set(names)))

    def test_priorities_from_config(self):
        self.useFixture(_Override(encrypt_priority=75,
                                  crypto_erase_priority=100))
        self.assertEqual(75, self._steps('deploy')['nbde_encrypt']
                         ['priority'])
        self.assertEqual(100, self._steps('clean')['nbde_crypto_erase']
                         ['priority'])

    def test_deduplicated_by_ipa(self):
        found = ipa_hardware.dispatch_to_all_managers(
            'get_deploy_steps', base.NODE, [])
        deduped = ipa_hardware.deduplicate_steps(found)
        self.assertIn('nbde_encrypt', [
            s['step'] for s in deduped['NbdeHardwareManager']])


class _Override:
    """Set [nbde_agent] options for one test."""

    def __init__(self, **values):
        self.values = values

    def setUp(self):
        for name, value in self.values.items():
            CONF.set_override(name, value, group='nbde_agent')

    def cleanUp(self):
        for name in self.values:
            CONF.clear_override(name, group='nbde_agent')

    def getDetails(self):
        return {}


class DeployExtensionTest(base.AgentTestCase):
    """The path Ironic takes: IPA's deploy extension runs the step."""

    def test_execute_deploy_step(self):
        from ironic_python_agent.extensions import deploy
        step = {'step': 'nbde_encrypt', 'interface': 'deploy',
                'priority': 75, 'args': {
                    'tang_servers': [self.server()],
                    'disks': {'serial': 'DATA-B'}}}
        result = deploy.DeployExtension().execute_deploy_step(
            step=step, node=base.NODE, ports=[]).join()
        self.assertEqual('SUCCEEDED', result.command_status)
        devices = result.command_result['deploy_result']['devices']
        self.assertEqual(['/dev/sdb'], [d['device'] for d in devices])

    def test_failure_becomes_command_error(self):
        from ironic_python_agent.extensions import deploy
        step = {'step': 'nbde_encrypt', 'interface': 'deploy',
                'priority': 75, 'args': {
                    'tang_servers': [self.server()],
                    'disks': {'serial': 'NOPE'}}}
        result = deploy.DeployExtension().execute_deploy_step(
            step=step, node=base.NODE, ports=[]).join()
        self.assertEqual('FAILED', result.command_status)
        self.assertIn('no disk matches', str(result.command_error))
