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

"""What diskimage-builder reads from the ironic-nbde-guest element, and
the Debian package list ``tools/build-guest-image.py`` derives from it."""

import importlib.util
import json
import os

import yaml

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ELEMENT = os.path.join(REPO, 'elements', 'ironic-nbde-guest')


def _read(name):
    with open(os.path.join(ELEMENT, name)) as f:
        return f.read()


class GuestElementTest(base.TestCase):

    def test_static_files_are_installed_by_dib(self):
        deps = _read('element-deps').split()
        self.assertIn('install-static', deps)
        self.assertIn('pkg-map', deps)
        for path in ('etc/initramfs-tools/hooks/ironic-nbde-network',
                     'etc/initramfs-tools/scripts/init-premount/'
                     'ironic-nbde-network',
                     'etc/initramfs-tools/scripts/init-bottom/'
                     'ironic-nbde-network',
                     'usr/lib/ironic-nbde/netdata'):
            self.assertTrue(os.access(os.path.join(ELEMENT, 'static', path),
                                      os.X_OK), path)

    def test_package_names_are_mapped_per_family(self):
        names = list(yaml.safe_load(_read('package-installs.yaml')))
        pkg_map = json.loads(_read('pkg-map'))
        # No Debian-only name in the element's own list.
        for debian_only in ('initramfs-tools', 'cryptsetup-initramfs',
                            'clevis-initramfs', 'iproute2',
                            'linux-image-amd64', 'systemd-sysv'):
            self.assertNotIn(debian_only, names)
        for family in ('debian', 'redhat'):
            mapped = pkg_map['family'][family]
            self.assertTrue(set(mapped) <= set(names), family)
        self.assertEqual('clevis-initramfs',
                         pkg_map['family']['debian']['clevis-early-boot'])
        self.assertEqual('clevis-dracut',
                         pkg_map['family']['redhat']['clevis-early-boot'])

    def test_build_tool_maps_the_list_for_debian(self):
        spec = importlib.util.spec_from_file_location(
            'build_guest_image',
            os.path.join(REPO, 'tools', 'build-guest-image.py'))
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        pkgs = tool.packages()
        for name in ('linux-image-amd64', 'initramfs-tools',
                     'cryptsetup-initramfs', 'clevis-initramfs', 'iproute2',
                     'jose', 'clevis-systemd'):
            self.assertIn(name, pkgs)
        self.assertNotIn('clevis-early-boot', pkgs)
