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

"""The network a guest boots into when DHCP cannot help: tap NICs inside a
network namespace the test creates, Tang on documentation addresses.

Inside the namespace ``name``: a bridge ``br0`` (the node's L2 segment)
holding 192.0.2.254/24 and 2001:db8::1/64 (the router the guest's
network_data names), and on ``lo`` the Tang addresses (``tang``: (ip,
host port) pairs, e.g. 192.0.2.1 and 2001:db8:7a::1), each leading through
a UNIX socket to a tangd on the host's 127.0.0.1 (:class:`netns.Namespace`).
The guest's NICs are ports of ``br0``:

- :meth:`access_ports`: plain taps (qemu ``-netdev tap``), untagged;
- :meth:`trunk_port`: an 802.1Q trunk (qemu ``-netdev socket`` to
  :mod:`vlan_port`, which passes only frames of one VLAN id and strips the
  tag: the host kernel has no 8021q).

Nothing leaves the namespace but the Tang forwards; qemu runs inside it.
:meth:`reset` removes the ports between boots, :meth:`stop` deletes the
namespace by name.
"""

import os
import sys

from harness import netns

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTER4, ROUTER6 = '192.0.2.254', '2001:db8::1'
TRUNK_PORT, QEMU_PORT = 40001, 40002  # UDP, on the namespace's own lo


class GuestNet:

    def __init__(self, rundir, procs, name, tang):
        self.name = name
        self.procs = procs
        self.ns = netns.Namespace(rundir, procs, name,
                                  [(ip, 80, port) for ip, port in tang])
        self.ports = []

    def start(self):
        self.ns.start()
        self.ns.ip('link', 'add', 'br0', 'type', 'bridge')
        self.ns.ip('addr', 'add', ROUTER4 + '/24', 'dev', 'br0')
        self.ns.ip('-6', 'addr', 'add', ROUTER6 + '/64', 'dev', 'br0',
                   'nodad')
        self.ns.ip('link', 'set', 'br0', 'up')

    def _port(self, name):
        self.ns.ip('tuntap', 'add', 'dev', name, 'mode', 'tap')
        self.ports.append(name)
        self.ns.ip('link', 'set', name, 'master', 'br0')
        self.ns.ip('link', 'set', name, 'up')

    def access_ports(self, count):
        """``count`` untagged ports; their qemu ``-netdev`` specs."""
        specs = []
        for i in range(count):
            self._port('tap%d' % i)
            specs.append('tap,ifname=tap%d,script=no,downscript=no' % i)
        return specs

    def trunk_port(self, vid):
        """One port that carries VLAN ``vid`` only; its ``-netdev`` spec."""
        self._port('trunk0')
        self.procs.start('%s-vlan-port' % self.name, self.ns.command(
            sys.executable, os.path.join(HERE, 'vlan_port.py'), 'trunk0',
            str(vid), str(TRUNK_PORT), str(QEMU_PORT)))
        return ['socket,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d'
                % (TRUNK_PORT, QEMU_PORT)]

    def trunk_log(self):
        try:
            with open(self.procs.log_path('%s-vlan-port' % self.name)) as f:
                return f.read()
        except OSError:
            return ''

    def reset(self):
        """Remove every port (and the trunk's process) before the next
        boot."""
        self.procs.stop_named('%s-vlan-port' % self.name)
        for name in self.ports:
            self.ns.ip('link', 'del', name)
        self.ports = []
        log = self.procs.log_path('%s-vlan-port' % self.name)
        if os.path.exists(log):
            os.unlink(log)

    def stop(self):
        self.procs.stop_named('%s-vlan-port' % self.name)
        self.ns.stop()
