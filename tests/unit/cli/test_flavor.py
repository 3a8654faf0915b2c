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
