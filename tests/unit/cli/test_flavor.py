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

"""Pure parts of the NBDE flavor: trait spec, resource classes."""

from ironic_nbde import exception
from ironic_nbde.cli import flavor
from tests import base


class FlavorSpecTest(base.TestCase):

    def test_trait_spec(self):
        self.assertEqual('trait:CUSTOM_NBDE', flavor.trait_spec('CUSTOM_NBDE'))
        self.assertRaises(exception.InvalidTemplate, flavor.trait_spec,
                          'nbde')

    def test_resource_class_as_placement_names_it(self):
        self.assertEqual('CUSTOM_BAREMETAL',
                         flavor.normalize_resource_class('baremetal'))
        self.assertEqual('CUSTOM_GPU_LARGE_1',
                         flavor.normalize_resource_class('gpu-large.1'))

    def test_resource_classes_of_a_bare_metal_flavor(self):
        specs = {'resources:CUSTOM_BAREMETAL': '1', 'resources:VCPU': '0',
                 'resources:CUSTOM_ZERO': '0', 'trait:CUSTOM_GOLD':
                 'required', 'cpu_arch': 'x86_64'}
        self.assertEqual({'CUSTOM_BAREMETAL'}, flavor.resource_classes(specs))
        self.assertEqual(set(), flavor.resource_classes(None))
