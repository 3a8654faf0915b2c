"""Run the real IPA with exactly two hardware managers.

The project's manager is loaded through its real entry point
(``ironic_python_agent.hardware_managers: nbde``) and the e2e manager
stands in for the machine; IPA's GenericHardwareManager is left out so
nothing in the agent looks at the host's own disks.
"""

from importlib import metadata
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))

import stevedore  # noqa: E402
from stevedore import extension  # noqa: E402

# cmd.agent first: it registers IPA's options that hardware needs.
from ironic_python_agent.cmd import agent  # noqa: E402,I100
from ironic_python_agent import hardware  # noqa: E402

from tests.e2e.harness import e2e_hardware  # noqa: E402

NAMESPACE = 'ironic_python_agent.hardware_managers'


def _extensions():
    nbde = stevedore.NamedExtensionManager(NAMESPACE, names=['nbde'],
                                           invoke_on_load=True)
    if 'nbde' not in nbde.names():
        raise SystemExit('the nbde hardware manager entry point is missing')
    e2e = e2e_hardware.E2EHardwareManager()
    point = metadata.EntryPoint(
        name='e2e', group=NAMESPACE,
        value='tests.e2e.harness.e2e_hardware:E2EHardwareManager')
    return extension.ExtensionManager.make_test_instance(
        [extension.Extension('e2e', point, type(e2e), e2e)]
        + list(nbde.extensions))


hardware._get_extensions = _extensions

if __name__ == '__main__':
    sys.exit(agent.run())
