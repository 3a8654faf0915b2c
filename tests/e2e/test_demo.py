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

"""The README's first command (tools/demo.py behind tools/demo.sh) passes."""

import os
import subprocess
import sys
import tempfile

import testtools

from harness import prereqs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class DemoTest(testtools.TestCase):

    def test_demo_passes(self):
        gap = prereqs.missing()
        if gap:
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail('the demo needs %s' % gap)
            self.skipTest('the demo needs %s' % gap)
        with tempfile.TemporaryDirectory(prefix='nbde-demo-test-') as tmp:
            proc = subprocess.run(
                [sys.executable, os.path.join(ROOT, 'tools', 'demo.py'),
                 '--rundir', tmp], capture_output=True, text=True,
                timeout=900)
        out = proc.stdout + proc.stderr
        self.assertEqual(0, proc.returncode, out[-4000:])
        self.assertIn('DEMO PASSED', out)
        for proof in ('UNLOCKS', "volume key differs from the image's: "
                      'True', 'provisioning passphrase still opens it: '
                      'False', "properties['nbde'] after crypto-erase: "
                      'gone'):
            self.assertIn(proof, out)
        self.assertNotIn('FAILED', out)
