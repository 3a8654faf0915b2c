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

"""Run the real IPA with exactly two hardware managers.

The project's manager is loaded through its real entry point
(``ironic_python_agent.hardware_managers: nbde``) and the e2e manager
stands in for the machine; IPA's GenericHardwareManager is left out so
nothing in the agent looks at the host's own disks.
"""

from importlib import metadata
import sys

import stevedore
from stevedore import extension

# cmd.agent first: it registers IPA's options that hardware needs.
from ironic_python_agent.cmd import agent  # noqa: I100
from ironic_python_agent import hardware

from harness import e2e_hardware

NAMESPACE = 'ironic_python_agent.hardware_managers'


def _extensions():
    nbde = stevedore.NamedExtensionManager(NAMESPACE, names=['nbde'],
                                           invoke_on_load=True)
    if 'nbde' not in nbde.names():
        raise SystemExit('the nbde hardware manager entry point is missing')
    e2e = e2e_hardware.E2EHardwareManager()
    point = metadata.EntryPoint(
        name='e2e', group=NAMESPACE,
        value='harness.e2e_hardware:E2EHardwareManager')
    return extension.ExtensionManager.make_test_instance(
        [extension.Extension('e2e', point, type(e2e), e2e)]
        + list(nbde.extensions))


hardware._get_extensions = _extensions

if __name__ == '__main__':
    sys.exit(agent.run())
