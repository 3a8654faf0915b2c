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

"""The ironic.conf edit that enables the conductor piece (pure text)."""

from ironic_nbde import exception
from ironic_nbde.cli import ironic_conf
from tests import base

CONF = """[DEFAULT]
# vendor interfaces: keep this comment
enabled_vendor_interfaces = fake, ipmitool ,no-vendor
debug = True

[other]
enabled_vendor_interfaces = untouched
"""


class AddVendorInterfaceTest(base.TestCase):

    def test_appends_and_keeps_every_other_line(self):
        new, value = ironic_conf.add_vendor_interface(CONF)
        self.assertEqual('fake,ipmitool,no-vendor,nbde', value)
        self.assertEqual(CONF.replace(
            'fake, ipmitool ,no-vendor', 'fake,ipmitool,no-vendor,nbde'),
            new)

    def test_idempotent(self):
        once, _ = ironic_conf.add_vendor_interface(CONF)
        twice, value = ironic_conf.add_vendor_interface(once)
        self.assertEqual(once, twice)
        self.assertEqual(1, value.split(',').count('nbde'))

    def test_edits_the_last_assignment_like_oslo_config(self):
        text = ('[DEFAULT]\nenabled_vendor_interfaces=a\n'
                '[DEFAULT]\nenabled_vendor_interfaces: b\n')
        new, value = ironic_conf.add_vendor_interface(text)
        self.assertEqual('b,nbde', value)
        self.assertEqual('[DEFAULT]\nenabled_vendor_interfaces=a\n'
                         '[DEFAULT]\nenabled_vendor_interfaces: b,nbde\n',
                         new)

    def test_unset_option_is_refused_not_guessed(self):
        for text in ('[DEFAULT]\ndebug = True\n',
                     '[other]\nenabled_vendor_interfaces = x\n', ''):
            e = self.assertRaises(exception.InvalidConfig,
                                  ironic_conf.add_vendor_interface, text)
            self.assertIn('enabled_vendor_interfaces is not set', str(e))
