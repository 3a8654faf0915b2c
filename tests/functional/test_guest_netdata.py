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

"""The guest initramfs's network_data.json translator, run for real.

``elements/ironic-nbde-guest/static/usr/lib/ironic-nbde/netdata`` is what
the initramfs runs (POSIX sh, JSON through the real ``jose`` that clevis
puts there): ``plan`` turns an OpenStack network_data.json into the list
of links, addresses and routes the initramfs brings up; ``networkd``
renders the same plan for systemd-networkd in the real root. Malformed or
hostile input must end in one line on stderr, exit 1, nothing on stdout
(the initramfs then keeps the kernel command line's DHCP), in bounded time.
"""

import json
import os
import shutil
import subprocess
import tempfile

from tests import base

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NETDATA = os.path.join(REPO, 'elements', 'ironic-nbde-guest', 'static',
                       'usr', 'lib', 'ironic-nbde', 'netdata')
MAC0, MAC1 = '52:54:00:6e:64:01', '52:54:00:6e:64:02'


def phy(name, mac=MAC0, **extra):
    return dict({'id': name, 'type': 'phy', 'ethernet_mac_address': mac},
                **extra)


def net(link, kind='ipv4', address='192.0.2.10', netmask='255.255.255.0',
        routes=(), **extra):
    return dict({'id': 'n-' + link, 'type': kind, 'link': link,
                 'ip_address': address, 'netmask': netmask,
                 'routes': list(routes)}, **extra)


class NetdataTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        if shutil.which('jose') is None:
            if os.environ.get('NBDE_REQUIRE_REAL'):
                self.fail('netdata needs jose')
            self.skipTest('netdata needs jose')
        self.dir = tempfile.mkdtemp(prefix='nbde-netdata-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_plan(self, doc, raw=None):
        path = os.path.join(self.dir, 'network_data.json')
        with open(path, 'wb') as f:
            f.write(raw if raw is not None else json.dumps(doc).encode())
        return subprocess.run(
            [NETDATA, 'plan', path], capture_output=True, text=True,
            timeout=60, env=dict(os.environ, TMPDIR=self.dir))

    def plan(self, doc):
        proc = self.run_plan(doc)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout.splitlines()

    def refused(self, doc, why, raw=None):
        proc = self.run_plan(doc, raw)
        self.assertEqual(1, proc.returncode, proc.stdout)
        self.assertEqual('', proc.stdout)
        self.assertEqual(1, len(proc.stderr.splitlines()), proc.stderr)
        self.assertIn(why, proc.stderr)
        # Nothing left behind in TMPDIR.
        self.assertEqual(['network_data.json'], os.listdir(self.dir))


class PlanTest(NetdataTestCase):

    def test_static_ipv4_on_a_nic(self):
        self.assertEqual(
            ['phy l0 52:54:00:6e:64:01 1500',
             'addr l0 4 192.0.2.10/24',
             'route l0 4 0.0.0.0/0 192.0.2.254',
             'dns 192.0.2.53'],
            self.plan({'links': [phy('eth0', MAC0.upper(), mtu=1500)],
                       'networks': [net('eth0', routes=[{
                           'network': '0.0.0.0', 'netmask': '0.0.0.0',
                           'gateway': '192.0.2.254'}])],
                       'services': [{'type': 'dns',
                                     'address': '192.0.2.53'}]}))

    def test_vlan_over_a_bond_and_unused_links_stay_down(self):
        doc = {'links': [
            phy('eth0'), phy('eth1', MAC1), phy('spare', '52:54:00:00:00:09'),
            {'id': 'bond0', 'type': 'bond', 'bond_links': ['eth0', 'eth1'],
             'bond_mode': 'active-backup', 'bond_miimon': 100,
             'ethernet_mac_address': MAC0},
            {'id': 'vl', 'type': 'vlan', 'vlan_link': 'bond0',
             'vlan_id': 100, 'vlan_mac_address': MAC0}],
            'networks': [net('vl')]}
        self.assertEqual(
            ['phy l0 52:54:00:6e:64:01 -', 'phy l1 52:54:00:6e:64:02 -',
             'bond l3 nbde-bond3 active-backup 100 52:54:00:6e:64:01 l0 l1',
             'vlan l4 nbde-vlan4 l3 100 52:54:00:6e:64:01',
             'addr l4 4 192.0.2.10/24'], self.plan(doc))

    def test_ipv6_netmask_or_prefix_and_dhcp_and_slaac(self):
        plan = self.plan({'links': [phy('eth0'), phy('eth1', MAC1)],
                          'networks': [
            net('eth0', 'ipv6', '2001:db8::10', 'ffff:ffff:ffff:ffff::',
                [{'network': '::', 'netmask': '::',
                  'gateway': '2001:db8::1'}],
                services=[{'type': 'dns', 'address': '2001:db8::53'}]),
            net('eth0', 'ipv6', '2001:db8:1::10/48', None),
            {'id': 'd', 'type': 'ipv4_dhcp', 'link': 'eth1'},
            {'id': 's', 'type': 'ipv6_slaac', 'link': 'eth1'}]})
        self.assertEqual(
            ['phy l0 52:54:00:6e:64:01 -', 'phy l1 52:54:00:6e:64:02 -',
             'addr l0 6 2001:db8::10/64', 'route l0 6 ::/0 2001:db8::1',
             'addr l0 6 2001:db8:1::10/48', 'dhcp l1 4', 'slaac l1 6',
             'dns 2001:db8::53'], plan)

    def test_dhcpv6_is_skipped_with_a_message(self):
        proc = self.run_plan({'links': [phy('eth0')], 'networks': [
            net('eth0'), {'id': 'x', 'type': 'ipv6_dhcp', 'link': 'eth0'}]})
        self.assertEqual(0, proc.returncode)
        self.assertIn('DHCPv6 is not supported', proc.stderr)


class HostileTest(NetdataTestCase):

    def test_not_json_or_not_an_object(self):
        self.refused(None, 'not a JSON object', raw=b'{"links": [')
        self.refused(None, 'not a JSON object', raw=b'/etc/passwd')
        self.refused([1, 2], 'not a JSON object')
        self.refused(None, 'not a JSON object', raw=b'')

    def test_too_large(self):
        self.refused(None, 'larger than 64 KiB', raw=b' ' * 65537 + b'{}')

    def test_deep_nesting_is_bounded(self):
        self.refused(None, 'not a JSON object',
                     raw=b'[' * 30000 + b']' * 30000)

    def test_shapes(self):
        self.refused({'links': 5}, "'links' is not an array")
        self.refused({'links': [], 'networks': []}, 'no networks')
        self.refused({'links': ['eth0'], 'networks': [net('eth0')]},
                     'links[0] is not an object')
        self.refused({'links': [phy('eth0')], 'networks': [net('eth1')]},
                     "unknown link 'eth1'")
        self.refused({'links': [phy('eth0'), phy('eth0')],
                      'networks': [net('eth0')]}, "duplicate id 'eth0'")
        self.refused({'links': [phy('e' * 65)], 'networks': []},
                     'bad or no id')
        self.refused({'links': [phy('x') for _ in range(33)],
                      'networks': []}, 'more than 32 items')

    def test_shell_metacharacters_never_reach_a_command(self):
        for bad in ('$(reboot)', 'a;b', 'eth0\nphy l9', '`id`', 'a b'):
            self.refused({'links': [phy(bad)], 'networks': [net(bad)]},
                         'bad or no id')
        self.refused({'links': [phy('eth0', '52:54:00:6e:64:01;id')],
                      'networks': [net('eth0')]}, 'ethernet_mac_address')

    def test_values(self):
        links = [phy('eth0')]
        for address, netmask, why in (
                ('192.0.2.300', '255.255.255.0', 'bad IPv4 address'),
                ('192.0.2.010', '255.255.255.0', 'bad IPv4 address'),
                ('192.0.2.10 ', '255.255.255.0', 'bad IPv4 address'),
                ('192.0.2.10', '255.0.255.0', 'bad IPv4 netmask'),
                ('192.0.2.10', '33', 'bad IPv4 netmask')):
            self.refused({'links': links,
                          'networks': [net('eth0', 'ipv4', address,
                                           netmask)]}, why)
        for address, netmask, why in (
                ('2001:db8::1::2', '64', 'bad IPv6 address'),
                ('2001:db8:12345::1', '64', 'bad IPv6 address'),
                ('2001:db8::1', 'ffff:0:ffff::', 'bad IPv6 netmask')):
            self.refused({'links': links,
                          'networks': [net('eth0', 'ipv6', address,
                                           netmask)]}, why)
        self.refused({'links': links, 'networks': [net('eth0', 'ipv5')]},
                     "unknown type 'ipv5'")
        self.refused({'links': links, 'networks': [net('eth0', routes=[
            {'network': '0.0.0.0', 'netmask': '0', 'gateway': 'x'}])]},
            'bad route gateway')
        self.refused({'links': [phy('eth0', mtu=99999)],
                      'networks': [net('eth0')]}, 'out of range')
        self.refused({'links': [phy('eth0', mtu='1500')],
                      'networks': [net('eth0')]},
                     'not a non-negative integer')
        for vid, why in ((0, 'not in 1..4094'), (4095, 'not in 1..4094'),
                         ('100', 'not a non-negative integer'),
                         (1e3, 'not a non-negative integer')):
            self.refused({'links': links + [{
                'id': 'v', 'type': 'vlan', 'vlan_link': 'eth0',
                'vlan_id': vid}], 'networks': [net('v')]}, why)
        self.refused({'links': links + [{
            'id': 'b', 'type': 'bond', 'bond_links': ['eth0'],
            'bond_mode': 'rm -rf'}], 'networks': [net('b')]},
            'unknown bond_mode')

    def test_cycles_end(self):
        doc = {'links': [
            {'id': 'v1', 'type': 'vlan', 'vlan_link': 'v2', 'vlan_id': 1},
            {'id': 'v2', 'type': 'vlan', 'vlan_link': 'v1', 'vlan_id': 2}],
            'networks': [net('v1')]}
        proc = self.run_plan(doc)
        # Each link is visited once: the plan is made (and apply would
        # refuse a parent it never created), in bounded time.
        self.assertIn(proc.returncode, (0, 1))


class NetworkdTest(NetdataTestCase):

    def test_bond_vlan_and_addresses(self):
        plan = os.path.join(self.dir, 'plan')
        with open(plan, 'w') as f:
            f.write('phy l0 52:54:00:6e:64:01 9000\n'
                    'phy l1 52:54:00:6e:64:02 -\n'
                    'bond l2 nbde-bond2 active-backup 100 - l0 l1\n'
                    'vlan l3 nbde-vlan3 l2 100 -\n'
                    'addr l3 4 192.0.2.10/24\n'
                    'route l3 4 0.0.0.0/0 192.0.2.254\n'
                    'dns 192.0.2.53\n')
        out = os.path.join(self.dir, 'network')
        subprocess.run([NETDATA, 'networkd', plan, out], check=True,
                       timeout=30)
        files = {n: open(os.path.join(out, n)).read()
                 for n in sorted(os.listdir(out))}
        self.assertEqual(
            ['10-nbde-l0.network', '10-nbde-l1.network',
             '10-nbde-l2.netdev', '10-nbde-l2.network',
             '10-nbde-l3.netdev', '10-nbde-l3.network'], list(files))
        self.assertEqual(
            '[Match]\nPermanentMACAddress=52:54:00:6e:64:01\nType=ether\n\n'
            '[Link]\nMTUBytes=9000\n\n[Network]\nBond=nbde-bond2\n'
            'LinkLocalAddressing=no\n', files['10-nbde-l0.network'])
        self.assertEqual(
            '[NetDev]\nName=nbde-bond2\nKind=bond\n\n[Bond]\n'
            'Mode=active-backup\nMIIMonitorSec=100ms\n',
            files['10-nbde-l2.netdev'])
        self.assertIn('VLAN=nbde-vlan3\n', files['10-nbde-l2.network'])
        self.assertEqual(
            '[Match]\nName=nbde-vlan3\n\n[Network]\nAddress=192.0.2.10/24\n'
            'DNS=192.0.2.53\n\n[Route]\nDestination=0.0.0.0/0\n'
            'Gateway=192.0.2.254\n', files['10-nbde-l3.network'])
