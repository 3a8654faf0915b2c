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

"""Each package imports only what runs where it is installed."""

import json
import subprocess
import sys

from tests import base

_PROBE = '''
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
'''


def imports(module):
    """Every module loaded by importing ``module`` in a fresh process."""
    out = subprocess.run([sys.executable, '-c', _PROBE, module],
                         capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def top_level(found):
    return {m.split('.')[0] for m in found}


def packages(found):
    """The ironic_nbde packages (and top modules) among ``found``."""
    return {'.'.join(m.split('.')[:2]) for m in found
            if m.startswith('ironic_nbde.')}


class LayeringTest(base.TestCase):

    def test_cli_imports_neither_ironic_nor_the_agent(self):
        found = imports('ironic_nbde.cli.main')
        self.assertIn('openstack', top_level(found))
        self.assertNotIn('ironic', top_level(found))
        self.assertNotIn('ironic_python_agent', top_level(found))
        # The operator tool reads records through the contract, never
        # through the conductor's code.
        self.assertNotIn('ironic_nbde.conductor', packages(found))
        self.assertNotIn('ironic_nbde.agent', packages(found))

    def test_conductor_never_imports_the_agent(self):
        found = imports('ironic_nbde.conductor.interface')
        self.assertIn('ironic', top_level(found))
        self.assertNotIn('ironic_python_agent', top_level(found))
        self.assertNotIn('ironic_nbde.agent', packages(found))
        self.assertNotIn('ironic_nbde.luks', packages(found))

    def test_contract_is_neutral(self):
        for module in ('ironic_nbde.contract.steps',
                       'ironic_nbde.contract.policy',
                       'ironic_nbde.contract.record'):
            found = imports(module)
            for other in ('ironic', 'ironic_python_agent', 'openstack'):
                self.assertNotIn(other, top_level(found), module)
            self.assertLessEqual(packages(found), {
                'ironic_nbde.contract', 'ironic_nbde.tang',
                'ironic_nbde.exception'}, module)

    def test_tang_needs_no_luks_or_ironic(self):
        found = imports('ironic_nbde.tang.pins')
        for other in ('ironic', 'ironic_python_agent', 'openstack'):
            self.assertNotIn(other, top_level(found))
        self.assertNotIn('ironic_nbde.luks', packages(found))

    def test_exec_edge_and_discovery_are_leaves(self):
        for module in ('ironic_nbde.commands', 'ironic_nbde.blockdev'):
            found = imports(module)
            self.assertLessEqual(packages(found) - {'ironic_nbde.conf'}, {
                'ironic_nbde.commands', 'ironic_nbde.blockdev',
                'ironic_nbde.exception'}, module)
