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

"""The VM node's domain XML: a TPM only when asked for; the private
libvirt runs swtpm as root."""

from xml.etree import ElementTree

from harness import domain
from harness import libvirt
from tests import base


def _xml(**kwargs):
    return ElementTree.fromstring(domain.xml(
        'n', '00000000-0000-0000-0000-000000000001', '52:54:00:00:00:01',
        [('/tmp/r.img', 'nbde-root'), ('/tmp/d.img', 'nbde-data')],
        '/tmp/VARS.fd', '/tmp/c.log', '/tmp/r.log',
        [('10.0.2.100', 80, 8080)], 9000, **kwargs))


class DomainTest(base.TestCase):

    def test_no_tpm_by_default(self):
        self.assertIsNone(_xml().find('devices/tpm'))

    def test_tpm_crb_emulator(self):
        tpm = _xml(tpm=True).find('devices/tpm')
        self.assertEqual('tpm-crb', tpm.get('model'))
        backend = tpm.find('backend')
        self.assertEqual(('emulator', '2.0'),
                         (backend.get('type'), backend.get('version')))

    def test_swtpm_as_root(self):
        self.assertIn('swtpm_user = "root"', libvirt.QEMU_CONF)
        self.assertIn('swtpm_group = "root"', libvirt.QEMU_CONF)

    def test_swtpm_state_under_the_run_directory(self):
        lv = libvirt.Libvirt('/tmp/run', procs=None)
        self.assertEqual('/tmp/run/libvirt/lib/swtpm/u/tpm2',
                         lv.swtpm_state('u'))
