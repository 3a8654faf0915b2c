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

"""The committed sample config is exactly what the generator makes."""

import os
import subprocess
import sys
import tempfile

from tests import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'etc', 'ironic-nbde', 'ironic-nbde.conf.sample')


class SampleConfigTest(base.TestCase):

    def test_sample_is_generated(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'sample.conf')
            subprocess.run(
                [sys.executable, '-m', 'oslo_config.generator',
                 '--namespace', 'ironic_nbde', '--wrap-width', '79',
                 '--output-file', out], check=True, capture_output=True)
            with open(out) as f:
                generated = f.read()
        with open(SAMPLE) as f:
            committed = f.read()
        self.assertEqual(generated, committed,
                         'etc/ironic-nbde/ironic-nbde.conf.sample is stale: '
                         'run tox -e genconfig')

    def test_every_group_listed(self):
        from ironic_nbde.conf import opts
        groups = [g.name for g, _ in opts.list_opts()]
        self.assertIn('nbde_tang', groups)
        self.assertEqual(len(groups), len(set(groups)))
