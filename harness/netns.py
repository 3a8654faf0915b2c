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

"""A network namespace for host-side commands that must use the URLs a
guest sees (e.g. ``ironic-nbde rebind --tang http://10.0.2.101:80``).

The namespace has only ``lo``, carrying the guest-visible addresses; each
(address, port) leads through a UNIX socket to a port on the host's
127.0.0.1, as do the host ports named in ``loopback`` (Ironic's API, say)
at the same 127.0.0.1 port inside. Nothing else is reachable from it.
"""

import os
import subprocess
import sys


class Namespace:

    def __init__(self, rundir, procs, name, aliases, loopback=()):
        """:param aliases: [(ip, port, host_port)].
        :param loopback: host 127.0.0.1 ports to make reachable inside."""
        self.name = name
        self.procs = procs
        self.dir = os.path.join(rundir, name)
        self.forwards = [tuple(a) for a in aliases] + [
            ('127.0.0.1', p, p) for p in loopback]
        self.created = False

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)
        self.created = True
        self.ip('link', 'set', 'lo', 'up')
        for ip, port, host_port in self.forwards:
            if ':' in ip:  # IPv6: no duplicate address detection on lo
                self.ip('-6', 'addr', 'add', '%s/128' % ip, 'dev', 'lo',
                        'nodad')
                listen = 'TCP6-LISTEN:%d,bind=[%s]' % (port, ip)
            else:
                if ip != '127.0.0.1':
                    self.ip('addr', 'add', '%s/32' % ip, 'dev', 'lo')
                listen = 'TCP-LISTEN:%d,bind=%s' % (port, ip)
            # No ':' in the path: socat's address syntax splits on it.
            sock = os.path.join(self.dir, '%s-%d.sock' % (
                ip.replace(':', '_'), port))
            self.procs.start('%s-out-%s-%d' % (self.name, ip, port), [
                'socat', 'UNIX-LISTEN:%s,fork' % sock,
                'TCP:127.0.0.1:%d' % host_port])
            self.procs.start('%s-in-%s-%d' % (self.name, ip, port), [
                'ip', 'netns', 'exec', self.name, 'socat',
                listen + ',reuseaddr,fork', 'UNIX-CONNECT:%s' % sock])
        for ip, port, _ in self.forwards:
            self._wait(ip, port)

    def _wait(self, ip, port, timeout=20):
        probe = ('import socket,sys,time\n'
                 'd=time.time()+%d\n'
                 'while time.time()<d:\n'
                 '  try: socket.create_connection((%r,%d),1).close(); '
                 'sys.exit(0)\n'
                 '  except OSError: time.sleep(0.1)\n'
                 'sys.exit(1)\n' % (timeout, ip, port))
        subprocess.run(self.command(sys.executable, '-c', probe), check=True,
                       timeout=timeout + 5)

    def ip(self, *args):
        subprocess.run(['ip', '-n', self.name] + list(args), check=True)

    def command(self, *argv):
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def stop(self):
        self.procs.stop_named(self.name + '-')
        if self.created:
            subprocess.run(['ip', 'netns', 'del', self.name],
                           capture_output=True)
            self.created = False

