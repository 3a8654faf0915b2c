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

"""keys and rotate on hand-edited (hostile) records: no traceback, no
request to anything a record names badly, unusable counts as unusable."""

import types

import testtools

from ironic_nbde import exception
from ironic_nbde.cli import keys
from ironic_nbde.cli import rotate

THP = 'A' * 43


class _NoNetwork:
    def request(self, method, url, body=None, headers=None):
        raise exception.TangHTTPError(method=method, url=url,
                                      reason='no network in unit tests')

    def get(self, url):
        return self.request('GET', url)

    def post(self, url, body, content_type):
        return self.request('POST', url)


def _node(devices, name='n', state='active'):
    return types.SimpleNamespace(
        id='uuid-' + name, name=name, provision_state=state,
        is_maintenance=False,
        properties={'nbde': {'devices': devices}})


HOSTILE = [
    {'device': '/dev/sdb', 'threshold': 1,
     'tang': [{'url': 'ftp://x', 'thp': THP, 'kid': '../../etc'},
              {'url': 'http://ok.example', 'thp': 7},
              'not an object', {'url': ['list'], 'thp': THP}]},
    {'device': '/dev/sdc', 'threshold': 'two', 'tang': 'nope'},
    'not a device',
]


class HostileRecordTest(testtools.TestCase):

    def test_keys_rows_and_endangered(self):
        found = list(keys.bindings([_node(HOSTILE)]))
        servers = keys.Servers(_NoNetwork())
        rows = keys.rows(keys.dependencies(found), servers)
        self.assertEqual({('ftp://x', 'signing'), ('ftp://x', 'exchange')},
                         {(r['tang'], r['kind']) for r in rows})
        self.assertTrue(all(r['held'] is None for r in rows))
        endangered = keys.endangered(found, servers, [THP], 'ftp://x')
        self.assertEqual({'/dev/sdb', '/dev/sdc'},
                         {r['device'] for r in endangered})

    def test_rotate_plan(self):
        items = rotate.plan([_node(HOSTILE)], _NoNetwork(),
                            pin=lambda urls: {u: THP for u in urls})
        self.assertEqual(['n'], [i.node for i in items])
