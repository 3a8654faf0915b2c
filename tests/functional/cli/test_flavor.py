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

"""The NBDE flavor and node traits against a real Ironic API.

Nova is not available here: a recording stand-in plays its flavor API
(find/create/extra specs, as openstacksdk's compute proxy spells them);
everything on the Ironic side (deploy template lookup, node listing by
resource class, node traits) is the real API.
"""

import types

from openstack import exceptions as sdk_exceptions

from ironic_nbde import exception
from ironic_nbde.cli import flavor
from tests.functional.cli import base

BAREMETAL_SPECS = {'resources:CUSTOM_BAREMETAL': '1', 'resources:VCPU': '0',
                   'resources:MEMORY_MB': '0', 'resources:DISK_GB': '0',
                   'trait:CUSTOM_GOLD': 'required'}


class FakeNova:
    """Nova's flavor API as openstacksdk's compute proxy offers it."""

    def __init__(self, *flavors):
        self.flavors = {f.name: f for f in flavors}
        self.writes = []

    def find_flavor(self, name, ignore_missing=True, get_extra_specs=False):
        if name in self.flavors:
            return self.flavors[name]
        if ignore_missing:
            return None
        raise sdk_exceptions.NotFoundException('No Flavor found for %s'
                                               % name)

    def create_flavor(self, **attrs):
        self.writes.append(('create', attrs))
        created = types.SimpleNamespace(extra_specs={}, **attrs)
        self.flavors[attrs['name']] = created
        return created

    def create_flavor_extra_specs(self, found, specs):
        self.writes.append(('extra_specs', found.name, dict(specs)))
        found.extra_specs.update(specs)

    def update_flavor_extra_specs_property(self, found, prop, val):
        self.writes.append(('property', found.name, prop, val))
        found.extra_specs[prop] = val


def baremetal_flavor(specs=BAREMETAL_SPECS):
    return types.SimpleNamespace(name='baremetal', ram=3072, vcpus=2,
                                 disk=9, ephemeral=1, swap=0,
                                 extra_specs=dict(specs))


class FlavorTest(base.CliTestCase):

    def setUp(self):
        super().setUp()
        self.nova = FakeNova(baremetal_flavor())
        self.nbde = flavor.NbdeFlavor(types.SimpleNamespace(
            baremetal=self.conn.baremetal, compute=self.nova))

    def _template(self, name='CUSTOM_NBDE'):
        self.cli_json('template', 'create', name, '--tang', self.tang().url,
                      '--yes', '--disks', 'all')

    def _node(self, name, resource_class, traits=()):
        node = self.conn.baremetal.create_node(
            driver='fake-hardware', name=name,
            resource_class=resource_class)
        for trait in traits:
            self.conn.baremetal.add_node_trait(node, trait)
        return node

    def _traits(self, name):
        return sorted(self.conn.baremetal.get_node(name).traits or ())

    def test_flavor_and_the_trait_on_the_nodes_of_its_class(self):
        self._template()
        self._node('bm-0', 'baremetal')
        self._node('bm-1', 'baremetal', ['CUSTOM_GOLD', 'CUSTOM_NBDE'])
        self._node('gpu-0', 'gpu')
        rows = self.nbde.create('baremetal-nbde', 'CUSTOM_NBDE', 'baremetal')
        self.assertEqual(['CUSTOM_NBDE'], self._traits('bm-0'))
        self.assertEqual(['CUSTOM_GOLD', 'CUSTOM_NBDE'], self._traits('bm-1'))
        self.assertEqual([], self._traits('gpu-0'))
        self.assertEqual([('flavor', 'baremetal-nbde', 'created'),
                          ('node', 'bm-0', 'added'),
                          ('node', 'bm-1', 'present')],
                         [(r['kind'], r['name'], r['action'])
                          for r in rows[:1] + sorted(
                              rows[1:], key=lambda r: r['name'])])
        self.assertEqual(('create', {'name': 'baremetal-nbde',
                                     'is_public': True, 'ram': 3072,
                                     'vcpus': 2, 'disk': 9, 'ephemeral': 1,
                                     'swap': 0}), self.nova.writes[0])
        self.assertEqual(dict(BAREMETAL_SPECS,
                              **{'trait:CUSTOM_NBDE': 'required'}),
                         self.nova.flavors['baremetal-nbde'].extra_specs)
        # The base flavor is left alone.
        self.assertEqual(BAREMETAL_SPECS,
                         self.nova.flavors['baremetal'].extra_specs)

    def test_rerun_changes_nothing_more(self):
        self._template()
        self._node('bm-0', 'baremetal')
        self.nbde.create('baremetal-nbde', 'CUSTOM_NBDE', 'baremetal')
        rows = self.nbde.create('baremetal-nbde', 'CUSTOM_NBDE', 'baremetal')
        self.assertEqual(['updated', 'present'], [r['action'] for r in rows])
        self.assertEqual(['CUSTOM_NBDE'], self._traits('bm-0'))
        self.assertEqual(1, sum(w[0] == 'create' for w in self.nova.writes))

    def test_dry_run_writes_nothing(self):
        self._template()
        self._node('bm-0', 'baremetal')
        rows = self.nbde.create('baremetal-nbde', 'CUSTOM_NBDE', 'baremetal',
                                dry_run=True)
        self.assertEqual(['would create', 'would add'],
                         [r['action'] for r in rows])
        self.assertEqual([], self._traits('bm-0'))
        self.assertEqual([], self.nova.writes)

    def test_template_must_exist_first(self):
        self._node('bm-0', 'baremetal')
        err = self.cli_error('flavor', 'create', 'baremetal-nbde',
                             '--template', 'CUSTOM_NBDE')
        self.assertIn('no deploy template', err)
        self.assertEqual([], self._traits('bm-0'))

    def test_no_node_of_the_class_is_refused_before_any_write(self):
        self._template()
        self._node('gpu-0', 'gpu')
        e = self.assertRaises(exception.InvalidConfig, self.nbde.create,
                              'baremetal-nbde', 'CUSTOM_NBDE', 'baremetal')
        self.assertIn('could never be scheduled', str(e))
        self.assertEqual([], self.nova.writes)
        self.assertEqual([], self._traits('gpu-0'))

    def test_base_flavor_without_bare_metal_class(self):
        self._template()
        self.nova.flavors['baremetal'].extra_specs = {'resources:VCPU': '0'}
        self.assertRaises(exception.InvalidConfig, self.nbde.create,
                          'baremetal-nbde', 'CUSTOM_NBDE', 'baremetal')
        self.assertEqual([], self.nova.writes)
