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

"""First boot where DHCP cannot help: the initramfs takes the network from
the config drive's network_data.json (issue 16).

One deploy through the real Ironic + IPA with ``config_drive`` =
{meta_data, network_data} (what ``openstack baremetal node deploy
--config-drive`` sends): Ironic builds the ``config-2`` ISO, IPA writes it
to a new partition at the end of the root disk, the NBDE step binds root
and data disk to two Tang servers with sss t=1: ``http://192.0.2.1:80``
and ``http://[2001:db8:7a::1]:80``. Then the deployed disk boots (qemu TCG,
UEFI, from the disk alone) with NICs in a network namespace the test made
(:mod:`guestnet`): no DHCP server anywhere, Tang only on documentation
addresses. Each case swaps the config drive's network_data (a qcow2
overlay of the deployed disk, same partition, an ISO Ironic's code
builds), boots once where it must unlock, and once with a wrong
network_data where it must stay locked with no ``/rec`` at either Tang:

(a) static IPv4 on the first NIC; wrong address (another subnet);
(b) VLAN 100 over a NIC on an 802.1Q trunk port; wrong VLAN id (101);
(c) active-backup bond of two NICs, the first one's link down; the same
    address on the first NIC alone;
(d) static IPv6 and a route to Tang's IPv6 address; a wrong prefix;

and a malformed network_data, where the initramfs says so on the console
and falls back to the kernel command line's DHCP (qemu's restricted user
net on 192.0.2.0/24), which unlocks.

Each positive boot also opens the data volume (``_netdev``,
clevis-luks-askpass) in the real root: the initramfs handed the network
over to systemd-networkd (ironic-nbde-network.service).
"""

import json
import os
import shutil

from testtools import content

from tests.e2e import test_first_boot
from harness import configdrive
from harness import guest
from harness import guestnet
from harness import policy

TANG4, TANG6 = '192.0.2.1', '2001:db8:7a::1'
MAC0, MAC1 = guest.NIC_MACS[:2]


def phy(name, mac):
    return {'id': name, 'type': 'phy', 'ethernet_mac_address': mac,
            'mtu': 1500}


def ipv4(link, address='192.0.2.10'):
    return {'id': 'net4', 'type': 'ipv4', 'link': link,
            'ip_address': address, 'netmask': '255.255.255.0',
            'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                        'gateway': address.rsplit('.', 1)[0] + '.254'}],
            'network_id': 'tenant'}


def network_data(links, networks):
    return {'links': links, 'networks': networks,
            'services': [{'type': 'dns', 'address': '192.0.2.53'}]}


def vlan(vid):
    return network_data(
        [phy('eth0', MAC0),
         {'id': 'eth0.%d' % vid, 'type': 'vlan', 'vlan_link': 'eth0',
          'vlan_id': vid, 'vlan_mac_address': MAC0}],
        [ipv4('eth0.%d' % vid)])


def ipv6(prefix='2001:db8::'):
    return network_data([phy('eth0', MAC0)], [{
        'id': 'net6', 'type': 'ipv6', 'link': 'eth0',
        'ip_address': prefix + '10', 'netmask': 'ffff:ffff:ffff:ffff::',
        'routes': [{'network': '::', 'netmask': '::',
                    'gateway': prefix + '1'}]}])


BOND = network_data(
    [phy('eth0', MAC0), phy('eth1', MAC1),
     {'id': 'bond0', 'type': 'bond', 'bond_links': ['eth0', 'eth1'],
      'bond_mode': 'active-backup', 'bond_miimon': 100,
      'ethernet_mac_address': MAC0}],
    [ipv4('bond0')])

#: name: (port kind, positive network_data, negative network_data, the
#: Tang server (0: IPv4, 1: IPv6) that must answer).
CASES = {
    'a-ipv4': ('access1', network_data([phy('eth0', MAC0)], [ipv4('eth0')]),
               network_data([phy('eth0', MAC0)],
                            [ipv4('eth0', '203.0.113.10')]), 0),
    'b-vlan': ('trunk', vlan(100), vlan(101), 0),
    'c-bond': ('bond', BOND,
               network_data([phy('eth0', MAC0), phy('eth1', MAC1)],
                            [ipv4('eth0')]), 0),
    'd-ipv6': ('access1', ipv6(), ipv6('2001:db8:ff::'), 1),
}


class StaticNetworkBootTest(test_first_boot.GuestTestCase):

    tang_servers = 2

    @classmethod
    def missing(cls):
        gaps = [super().missing()]
        gaps += [b for b in ('qemu-img', 'qemu-io', 'sgdisk', 'genisoimage')
                 if shutil.which(b) is None]
        if not os.path.exists('/dev/net/tun'):
            gaps.append('/dev/net/tun')
        return ', '.join(g for g in gaps if g) or None

    @classmethod
    def environment_args(cls):
        args = super().environment_args()
        args['tang_aliases'] = [TANG4, TANG6]
        return args

    def setUp(self):
        super().setUp()
        self.net = guestnet.GuestNet(
            self.rundir, self.env.procs, 'nbde-%d-guestnet' % os.getpid(),
            [(TANG4, self.env.tang[0].port), (TANG6, self.env.tang[1].port)])
        self.addCleanup(self.net.stop)
        self.net.start()

    def boot_case(self, node, name, data, kind, locked):
        """Boot the deployed disk with ``data`` as the config drive's
        network_data, the NICs ``kind`` asks for (``dhcp``: qemu's
        restricted user net on 192.0.2.0/24, whose DHCP server gives the
        guest an address and whose guestfwd leads 192.0.2.1:80 to the
        IPv4 Tang: the fallback)."""
        self.net.reset()
        links_down = ()
        nics = netns = forwards = user_net = None
        if kind == 'dhcp':
            forwards = {TANG4: self.env.tang[0].port}
            user_net = '192.0.2.0/24'
        elif kind == 'trunk':
            nics = self.net.trunk_port(100)
        elif kind == 'bond':
            nics = self.net.access_ports(2)
            links_down = ('nic0',)
        else:
            nics = self.net.access_ports(1)
        if nics:
            netns = self.net.ns.name
        workdir = os.path.join(self.rundir, 'boot-' + name)
        os.makedirs(workdir, exist_ok=True)
        root = configdrive.overlay(
            node.nbde_disks['root'], os.path.join(workdir, 'root.qcow2'),
            configdrive.iso({'uuid': node.id, 'hostname': 'nbde-guest'},
                            data))
        before = self.recoveries()
        boot = guest.boot(self.env.procs, self.image,
                          [root] + node.nbde_disks['data'], forwards or {},
                          workdir, nics=nics, netns=netns, user_net=user_net,
                          links_down=links_down, expect_locked=locked,
                          locked_grace=30, timeout=300)
        self.addDetail('console-' + name, content.text_content(
            boot.console[-3000:]))
        return boot, [a - b for a, b in zip(self.recoveries(), before)]

    def test_static_networks_from_the_config_drive(self):
        node = self.env.enroll('static-node', data_disks=1,
                               root_spare_mib=80)
        args = policy.encrypt_args(
            self.env.tang, threshold=1, urls=self.env.tang_urls(),
            passphrase=self.image['provisioning_passphrase'])
        first = CASES['a-ipv4'][1]
        result = self.env.deploy(
            node, deploy_steps=policy.deploy_steps(args), timeout=600,
            config_drive={'meta_data': {'uuid': node.id,
                                        'hostname': 'nbde-guest'},
                          'network_data': first})
        self.assertEqual('active', result.provision_state)
        # IPA wrote the config drive Ironic built, as a partition.
        found = configdrive.find(node.nbde_disks['root'])
        self.assertIsNotNone(found)
        figures = {}
        for name, (kind, good, bad, server) in sorted(CASES.items()):
            up, rec = self.boot_case(node, name, good, kind, locked=False)
            self.assertIn('ironic-nbde: network from the config drive',
                          up.console)
            self.assertEqual(test_first_boot.EXPECTED, {
                k: v for k, v in (up.report or {}).items()
                if k in test_first_boot.EXPECTED}, up.console[-2000:])
            # Root in the initramfs, data0 in the real root, through the
            # server the case's network reaches, and only that one.
            self.assertGreaterEqual(rec[server], 2, (name, rec))
            self.assertEqual(0, rec[1 - server], (name, rec))
            if kind == 'trunk':
                self.assertIn('vid 100 passed', self.net.trunk_log())
            down, rec = self.boot_case(node, name + '-negative', bad, kind,
                                       locked=True)
            self.assertEqual([0, 0], rec, name)
            self.assertIsNone(down.report)
            self.assertTrue(down.prompted, down.console[-2000:])
            self.assertIn('ironic-nbde: network from the config drive',
                          down.console)
            self.assertNotIn('cryptsetup: root: set up successfully',
                             down.console)
            if kind == 'trunk':
                self.assertIn('vid 101 dropped', self.net.trunk_log())
                self.assertNotIn('vid 101 passed', self.net.trunk_log())
            figures[name] = {'unlocked': up.seconds, 'locked': down.seconds}
        # A malformed network_data: the initramfs says so and falls back to
        # the command line's DHCP (ip=:::::eth0:dhcp), which unlocks.
        up, rec = self.boot_case(node, 'malformed-dhcp', {'links': 'eth0'},
                                 'dhcp', locked=False)
        self.assertIn("network_data: 'links' is not an array; network "
                      "from ip= (DHCP)", up.console)
        self.assertEqual(test_first_boot.EXPECTED, {
            k: v for k, v in (up.report or {}).items()
            if k in test_first_boot.EXPECTED}, up.console[-2000:])
        self.assertGreaterEqual(rec[0], 2, rec)
        figures['malformed-dhcp'] = {'unlocked': up.seconds}
        self.addDetail('boot-seconds', content.text_content(
            json.dumps(figures)))
