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

"""devstack/files/bindep.txt: the plugin's host packages, read by bindep.

DevStack installs a plugin's ``devstack/files/bindep.txt`` (default
profile) with bindep before any plugin phase; this reads the file with
bindep's own parser for a Debian/Ubuntu and a Red Hat family host.
"""

import os

from bindep import depends

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BINDEP = os.path.join(REPO, 'devstack', 'files', 'bindep.txt')
LIB = os.path.join(REPO, 'devstack', 'lib', 'ironic-nbde')


class DevstackBindepTest(base.TestCase):

    def setUp(self):
        super().setUp()
        with open(BINDEP) as f:
            self.deps = depends.Depends(f.read())

    def _packages(self, *platform):
        return sorted(rule[0] for rule in self.deps.active_rules(
            list(platform) + ['default']))

    def test_tang_on_every_family_devstack_supports(self):
        self.assertEqual(['tang'], self._packages('platform:dpkg',
                                                  'platform:debian'))
        self.assertEqual(['tang'], self._packages('platform:dpkg',
                                                  'platform:ubuntu'))
        self.assertEqual(['tang'], self._packages('platform:rpm',
                                                  'platform:redhat'))

    def test_the_plugin_installs_no_package_itself(self):
        with open(LIB) as f:
            self.assertNotIn('install_package', f.read())
