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

"""``ironic-nbde enable-conductor`` on the ironic.conf a real Ironic runs.

The file starts without ``nbde`` (``enabled_vendor_interfaces =
no-vendor``); the command edits it before Ironic starts; the conductor
must then report the NBDE hook loader among the vendor interfaces it
loaded (and, in the negative control, must not).
"""

import ast
import re
import io
import json
import os

import fixtures

from ironic_nbde.cli import main as cli_main
from harness import ironic as ironic_mod
from tests.functional import base
from harness import ironic_api

LOADED = re.compile(r'Loaded the following vendor interfaces: (\[.*?\])')


def loaded_vendor_interfaces(log):
    """The vendor interfaces the conductor says it loaded (any order)."""
    found = LOADED.findall(log)
    return sorted(ast.literal_eval(found[-1])) if found else None


class EnableConductorTest(base.FunctionalTestCase):
    """One Ironic per test, each started from its own edited file."""

    def setUp(self):
        super().setUp()
        if not ironic_api.have_ironic():
            msg = 'needs ironic and ironic-dbsync'
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail(msg)
            self.skipTest(msg)

    def _start_ironic(self, *extra_argv, vendor='no-vendor'):
        """Start Ironic after ``ironic-nbde enable-conductor`` ran on its
        config file; return the command's exit code and output, the
        config text and Ironic's log."""
        real_write = ironic_mod.write_config
        real_start = ironic_mod.Ironic.start
        seen = {}

        def write_config(rundir, api_port, http_port, extra=None):
            extra = dict(extra or {})
            extra['DEFAULT'] = {'enabled_vendor_interfaces': vendor}
            return real_write(rundir, api_port, http_port, extra)

        def start(service, *args, **kwargs):
            out = io.StringIO()
            code = cli_main.main(['enable-conductor', service.conf, '-f',
                                  'json'] + list(extra_argv), out=out)
            with open(service.conf) as f:
                seen.update(code=code, out=out.getvalue(), text=f.read())
            return real_start(service, *args, **kwargs)

        self.useFixture(fixtures.MonkeyPatch(
            'harness.ironic.write_config', write_config))
        self.useFixture(fixtures.MonkeyPatch(
            'harness.ironic.Ironic.start', start))
        api = self.useFixture(ironic_api.IronicAPI())
        with open(os.path.join(api.rundir, 'ironic.log')) as f:
            seen['log'] = f.read()
        return seen

    def test_conductor_loads_the_nbde_interface(self):
        seen = self._start_ironic()
        self.assertEqual(0, seen['code'])
        self.assertEqual('no-vendor,nbde', json.loads(seen['out'])['value'])
        self.assertIn('enabled_vendor_interfaces = no-vendor,nbde\n',
                      seen['text'])
        self.assertEqual(['nbde', 'no-vendor'],
                         loaded_vendor_interfaces(seen['log']))

    def test_negative_control_dry_run_leaves_it_unloaded(self):
        seen = self._start_ironic('--dry-run')
        self.assertTrue(json.loads(seen['out'])['changed'])
        self.assertIn('enabled_vendor_interfaces = no-vendor\n',
                      seen['text'])
        self.assertEqual(['no-vendor'],
                         loaded_vendor_interfaces(seen['log']))
