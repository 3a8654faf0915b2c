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

"""The e2e environment: tangd servers, an image server, loop disks, a real
standalone Ironic and, per deploy, a real IPA in its sandbox.

Used by ``tools/demo.sh`` (the README's first command) and by
``tests/e2e`` alike. Every process is started through :class:`Procs` and
ended by PID; every loop device is created here and detached by name.
"""

import json
import os
import subprocess
import sys
import time

import openstack

from harness import images
from harness import ironic as ironic_mod
from harness import procs as procs_mod
from harness import sandbox as sandbox_mod
from harness import tangd

MAC_PREFIX = '52:54:00:6e:62:'
DATA_DISK_MIB = 64


# Provision states in which a node waits for its agent.
AGENT_WAITS = ('wait call-back', 'clean wait', 'service wait')


def say(msg):
    print('[nbde-e2e %s] %s' % (time.strftime('%H:%M:%S'), msg), flush=True)


class DeployFailed(RuntimeError):
    pass


class Environment:
    """The e2e world.

    :param image: a prebuilt whole-disk image to deploy instead of the tiny
        test image: {path, sha256, luks_uuid, volume_key_sha256,
        provisioning_passphrase} (``tools/build-guest-image.py`` writes it).
    :param tang_aliases: one IP per Tang server: server i is then also
        ``http://IP:80`` inside the IPA sandbox (the URL a guest VM sees
        through its qemu guestfwd), see :meth:`tang_urls`.
    """

    def __init__(self, rundir, tang_servers=3, extra_conf=None, log=say,
                 image=None, tang_aliases=()):
        self.rundir = os.path.abspath(rundir)
        self.logdir = os.path.join(self.rundir, 'logs')
        os.makedirs(self.logdir, exist_ok=True)
        self.procs = procs_mod.Procs(self.logdir)
        self.log = log
        self.n_tang = tang_servers
        self.extra_conf = extra_conf or {}
        self.tang = []
        self.loops = []
        self.ironic = None
        self.conn = None
        self.image = None
        self.prebuilt = image
        self.tang_aliases = list(tang_aliases)
        self._nodes = 0

    # -- set-up ---------------------------------------------------------
    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.log('starting %d tangd servers on 127.0.0.1' % self.n_tang)
        for i in range(self.n_tang):
            server = tangd.TangServer(log=os.path.join(
                self.logdir, 'tangd-%d.log' % i))
            server.setUp()
            self.tang.append(server)
        http_root = os.path.join(self.rundir, 'http')
        os.makedirs(http_root, exist_ok=True)
        if self.prebuilt:
            self.image = dict(self.prebuilt,
                              size=os.path.getsize(self.prebuilt['path']))
            os.symlink(self.image['path'],
                       os.path.join(http_root, 'disk.img'))
        else:
            self.log('building the disk image (GPT: ESP + pre-encrypted '
                     'LUKS2 root)')
            disk, digest, uuid, vk_digest = images.build(http_root)
            self.image = {'path': disk, 'sha256': digest, 'luks_uuid': uuid,
                          'volume_key_sha256': vk_digest,
                          'size': os.path.getsize(disk)}
        for name in ('deploy.kernel', 'deploy.ramdisk'):
            with open(os.path.join(http_root, name), 'wb') as f:
                f.write(b'not used: IPA runs as a local process\n')
        self.http_port = procs_mod.free_port()
        proc = self.procs.start('image-http', [
            sys.executable, '-m', 'http.server', str(self.http_port),
            '--bind', '127.0.0.1', '--directory', http_root])
        procs_mod.wait_for_port(self.http_port, 20, proc, 'image server')
        self.http_url = 'http://127.0.0.1:%d' % self.http_port
        self.log('starting Ironic (all-in-one, sqlite, noauth)')
        self.ironic = ironic_mod.Ironic(self.rundir, self.procs,
                                        self.http_port, self.extra_conf)
        self.ironic.start()
        self.conn = openstack.connection.Connection(
            auth_type='none', baremetal_endpoint_override=self.ironic.url)
        self.write_clouds_yaml()

    def write_clouds_yaml(self):
        path = os.path.join(self.rundir, 'clouds.yaml')
        with open(path, 'w') as f:
            json.dump({'clouds': {'nbde-e2e': {
                'auth_type': 'none',
                'baremetal_endpoint_override': self.ironic.url}}}, f)
        self.clouds_yaml = path
        return path

    def new_loop(self, name, size_mib):
        backing = os.path.join(self.rundir, name + '.img')
        subprocess.run(['truncate', '-s', '%dM' % size_mib, backing],
                       check=True)
        path = subprocess.run(['losetup', '--find', '--show', '--partscan',
                               backing], check=True, capture_output=True,
                              text=True).stdout.strip()
        if not path.startswith('/dev/loop'):
            raise RuntimeError('losetup gave %r' % path)
        self.loops.append(path)
        return path

    # -- nodes ------------------------------------------------------------
    def enroll(self, name, data_disks=1, root_spare_mib=8):
        """A manual-management node whose disks are fresh loop devices."""
        root = self.new_loop(name + '-root',
                             self.image['size'] // (1 << 20)
                             + root_spare_mib)
        data = [self.new_loop('%s-data%d' % (name, i), DATA_DISK_MIB)
                for i in range(data_disks)]
        bm = self.conn.baremetal
        node = bm.create_node(
            name=name, driver='manual-management', boot_interface='pxe',
            deploy_interface='direct', power_interface='fake',
            management_interface='noop', network_interface='noop',
            driver_info={
                'deploy_kernel': self.http_url + '/deploy.kernel',
                'deploy_ramdisk': self.http_url + '/deploy.ramdisk',
                'deploy_forces_oob_reboot': True},
            properties={'capabilities': 'boot_mode:bios'})
        mac = '%s%02x' % (MAC_PREFIX, self._nodes)
        self._nodes += 1
        bm.create_port(node_uuid=node.id, address=mac)
        bm.set_node_provision_state(node, 'manage', wait=True, timeout=60)
        bm.set_node_provision_state(node, 'provide', wait=True, timeout=60)
        node.nbde_disks = {'root': root, 'data': data}
        node.nbde_mac = mac
        self.log('enrolled node %s (%s): root disk %s, data disk(s) %s'
                 % (name, node.id, root, ', '.join(data)))
        return node

    def _instance_info(self, traits=()):
        info = {'image_source': self.http_url + '/disk.img',
                'image_os_hash_algo': 'sha256',
                'image_os_hash_value': self.image['sha256'],
                'image_disk_format': 'raw'}
        if traits:
            info['traits'] = list(traits)
        return info

    def start_agent(self, node, disks, name, reach_tang=True):
        """Start IPA for ``node`` in its sandbox; the caller stops it.

        :param reach_tang: False: the sandbox has no route to any Tang
            server (a node whose NBDE step must fail).
        """
        outbound = self.outbound_ports()
        aliases = [(ip, 80, s.port) for ip, s in
                   zip(self.tang_aliases, self.tang)]
        if not reach_tang:
            outbound = [self.ironic.port, self.http_port]
            aliases = []
        sandbox = sandbox_mod.Sandbox(
            self.rundir, self.procs, self.ironic.url, disks, disks[0],
            node.nbde_mac, outbound,
            name='ipa-%s-%s-%d' % (name, node.name, int(time.time())),
            aliases=aliases)
        sandbox.start()
        self.last_ipa_log = os.path.join(self.logdir,
                                         sandbox.name + '.log')
        self.log('IPA started in its sandbox (%s)' % sandbox.netns)
        return sandbox

    def _run_agent(self, node, disks, target_states, timeout, name):
        """Start IPA when the node waits for it; wait for a final state."""
        bm = self.conn.baremetal
        sandbox = None
        deadline = time.monotonic() + timeout
        last = None
        try:
            while time.monotonic() < deadline:
                current = bm.get_node(node.id)
                state = current.provision_state
                if state != last:
                    self.log('node %s: %s' % (node.name, state))
                    last = state
                if state in AGENT_WAITS and sandbox is None:
                    sandbox = self.start_agent(node, disks, name)
                if state in target_states:
                    return current
                if state.endswith('failed'):
                    raise DeployFailed('node %s %s: %s' % (
                        node.name, state, current.last_error))
                time.sleep(0.2)
            raise DeployFailed('node %s still %s after %ds'
                               % (node.name, last, timeout))
        finally:
            if sandbox is not None:
                sandbox.stop()

    def outbound_ports(self):
        return [self.ironic.port, self.http_port] + [
            s.port for s in self.tang]

    def tang_urls(self):
        """The Tang URLs deploy steps bind to: the aliases if any."""
        if self.tang_aliases:
            return ['http://%s:80' % (('[%s]' if ':' in ip else '%s') % ip)
                    for ip in self.tang_aliases]
        return [s.url for s in self.tang]

    def _prepare(self, node, traits):
        bm = self.conn.baremetal
        if traits:
            bm.set_node_traits(node.id, list(traits))
        bm.update_node(node.id, instance_info=self._instance_info(traits))
        return [node.nbde_disks['root']] + node.nbde_disks['data']

    def deploy(self, node, traits=(), deploy_steps=None, timeout=180,
               config_drive=None):
        """Deploy through the API (traits select deploy templates);
        ``config_drive``: the ``--config-drive`` JSON (``meta_data``,
        ``network_data``...), which Ironic turns into an ISO and IPA
        writes to a partition of the root disk."""
        disks = self._prepare(node, traits)
        start = time.monotonic()
        self.conn.baremetal.set_node_provision_state(
            node, 'active', deploy_steps=deploy_steps,
            config_drive=config_drive)
        result = self._run_agent(node, disks, ('active',), timeout,
                                 'deploy')
        self.log('node %s active after %.1f s' % (
            node.name, time.monotonic() - start))
        return result

    def deploy_with_osc(self, node, deploy_steps, timeout=180):
        """``openstack baremetal node deploy --deploy-steps`` for real."""
        disks = self._prepare(node, ())
        cmd = self.openstack('baremetal', 'node', 'deploy', node.id,
                             '--deploy-steps', json.dumps(deploy_steps))
        self.log('$ %s' % ' '.join(cmd[:6] + [node.name,
                                                "--deploy-steps '...'"]))
        subprocess.run(cmd, check=True, capture_output=True,
                       env=self.cli_env())
        return self._run_agent(node, disks, ('active',), timeout, 'deploy')

    def openstack(self, *args):
        return [os.path.join(os.path.dirname(sys.executable), 'openstack'),
                '--os-cloud', 'nbde-e2e'] + list(args)

    def cli_env(self):
        return dict(os.environ, OS_CLIENT_CONFIG_FILE=self.clouds_yaml)

    def clean(self, node, clean_steps, timeout=120):
        """Undeploy if needed, then manual cleaning with ``clean_steps``."""
        bm = self.conn.baremetal
        if bm.get_node(node.id).provision_state == 'active':
            bm.set_node_provision_state(node, 'deleted', wait=True,
                                        timeout=60)
        bm.set_node_provision_state(node, 'manage', wait=True, timeout=60)
        disks = [node.nbde_disks['root']] + node.nbde_disks['data']
        bm.set_node_provision_state(node, 'clean', clean_steps=clean_steps)
        return self._run_agent(node, disks, ('manageable',), timeout,
                               'clean')

    # -- tear-down --------------------------------------------------------
    def stop(self):
        if self.ironic is not None:
            self.ironic.stop()
        self.procs.stop_all()
        for server in self.tang:
            server.cleanUp()
        self.tang = []
        for path in reversed(self.loops):
            subprocess.run(['losetup', '--detach', path],
                           capture_output=True)
        self.loops = []
