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

"""shellcheck and bashate on every shell file under devstack/ and elements/.

A file is shell if it starts with a sh or bash shebang (DevStack's
settings and lib/ files are sourced, but carry one so that both linters
know).
"""

import os
import re
import shutil
import subprocess
import sys

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ROOTS = ('devstack', 'elements')
BASHATE = os.path.join(os.path.dirname(sys.executable), 'bashate')
SHEBANG = re.compile(rb'^#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b')


def shell_files():
    found = []
    for root in ROOTS:
        for folder, _dirs, files in os.walk(os.path.join(REPO, root)):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, 'rb') as f:
                    if SHEBANG.match(f.readline()):
                        found.append(os.path.relpath(path, REPO))
    return sorted(found)


class ShellLintTest(base.TestCase):

    def _need(self, tool):
        if not (shutil.which(tool) or os.access(tool, os.X_OK)):
            msg = 'shell lint needs %s' % tool
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)

    def _run(self, cmd):
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                              timeout=120)

    def test_finds_the_plugin_and_element_scripts(self):
        files = shell_files()
        for expected in ('devstack/plugin.sh', 'devstack/settings',
                         'devstack/lib/ironic-nbde',
                         'elements/ironic-nbde-ramdisk/install.d/'
                         '75-ironic-nbde-ramdisk-install'):
            self.assertIn(expected, files)

    def test_shellcheck(self):
        self._need('shellcheck')
        # -x follows plugin.sh's "source" of lib/ironic-nbde.
        result = self._run(['shellcheck', '-x', '--severity=style']
                           + shell_files())
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    def test_bashate(self):
        self._need(BASHATE)
        # E006 (line length) is ignored as in DevStack's own gate.
        result = self._run([BASHATE, '-v', '--ignore', 'E006',
                            '--error', 'E001,E002,E003,E004,E005,E010,'
                            'E011,E012,E020,E040,E041,E042,E043,E044']
                           + shell_files())
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertNotIn('warning(s) found', result.stdout)
