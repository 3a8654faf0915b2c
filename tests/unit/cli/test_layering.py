"""Each package imports only what runs where it is installed."""

import json
import subprocess
import sys

from tests import base

_PROBE = '''
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
'''


def top_level_imports(module):
    out = subprocess.run([sys.executable, '-c', _PROBE, module],
                         capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


class LayeringTest(base.TestCase):

    def test_cli_imports_neither_ironic_nor_the_agent(self):
        found = top_level_imports('ironic_nbde.cli.main')
        self.assertIn('openstack', found)
        self.assertNotIn('ironic', found)
        self.assertNotIn('ironic_python_agent', found)

    def test_conductor_never_imports_the_agent(self):
        found = top_level_imports('ironic_nbde.conductor.interface')
        self.assertIn('ironic', found)
        self.assertNotIn('ironic_python_agent', found)
