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

"""nbde_check_tang: the pre-flight deploy step that touches no disk."""

from ironic_python_agent import errors

from tests.unit.agent import base


class CheckTangTest(base.AgentTestCase):

    def check(self, **args):
        return self.dispatch('nbde_check_tang', **args)

    def assertNoDiskTouched(self):
        self.assertEqual([], self.luks.calls)
        self.assertEqual([], self.exec.calls)

    def test_pinned_servers_pass(self):
        servers = [self.server('a'), self.server('b')]
        result = self.check(tang_servers=servers, threshold=2)
        self.assertEqual({'nbde_check': {'tang': servers, 'threshold': 2}},
                         result)
        self.assertEqual(['GET', 'GET'],
                         [r[0] for r in self.tang.requests])
        self.assertNoDiskTouched()

    def test_thumbprint_mismatch(self):
        server = dict(self.server('a'), thp=base.fakes.META['thp_b'])
        e = self.assertRaises(errors.DeploymentError, self.check,
                              tang_servers=[server])
        self.assertIn('nbde_check_tang', str(e))
        self.assertIn('not trusted', str(e))
        self.assertIn(server['url'], str(e))
        self.assertNoDiskTouched()

    def test_server_down(self):
        self.tang.servers[base.fakes.META['url_b']] = None
        e = self.assertRaises(errors.DeploymentError, self.check,
                              tang_servers=[self.server('a'),
                                            self.server('b')])
        self.assertIn(base.fakes.META['url_b'], str(e))
        self.assertNoDiskTouched()

    def test_bad_arguments(self):
        for args, needle in (
                ({'tang_servers': [self.server()], 'disks': 'all'},
                 'disks'),
                ({'tang_servers': []}, 'tang_servers'),
                ({'tang_servers': [self.server()], 'threshold': 2},
                 'threshold')):
            e = self.assertRaises(errors.InvalidCommandParamsError,
                                  self.check, **args)
            self.assertIn(needle, str(e))
        self.assertNoDiskTouched()
