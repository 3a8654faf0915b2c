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

"""A real node: the whole NBDE life of a VM powered and booted by a BMC.

Ironic (``redfish`` + ``redfish-virtual-media`` + ``direct``) boots the
IPA ramdisk our element builds on a libvirt/qemu VM through sushy-tools;
IPA inside it runs with its own GenericHardwareManager and ours against
the VM's virtio disks. The deploy template chosen by a trait encrypts and
binds the root (pre-encrypted image, re-keyed) and the data disk (chosen
by a device hint) to sss 2-of-3 at the guest-visible Tang URLs; the VM
then boots the disk by its own bootloader under OVMF and unlocks through
Tang. Day 2 rebinds to a changed server set through the ramdisk, a
negative control keeps the root locked with every Tang down, and manual
cleaning crypto-erases both disks. Every phase has a hard timeout; the
harness removes every domain, pool, daemon and forwarder it made.
"""

import json
import os
import subprocess
import sys
import time

import testtools

from tests.e2e import base
from harness import env as env_mod
from harness import ironic_log
from harness import loopdev
from harness import netns as netns_mod
from harness import policy
from harness import proofs
from harness import ramdisk as ramdisk_mod
from harness import vmnode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD_IMAGE = os.path.join(ROOT, 'tools', 'build-guest-image.py')
CACHE = os.environ.get('NBDE_CACHE', '/var/cache/ironic-nbde')
TRAIT = 'CUSTOM_NBDE_VM'
DATA_HINT = {'serial': 'nbde-data'}
EXPECTED = {'root_source': '/dev/mapper/root', 'root_type': 'LUKS2',
            'root_device': '/dev/vda2', 'data0_type': 'LUKS2',
            'data0_device': '/dev/vdb'}
# Hard timeouts per phase (TCG on 2 cores: a ramdisk boot takes minutes).
DEPLOY_TIMEOUT = 1800
BOOT_TIMEOUT = 600
SERVICE_TIMEOUT = 1500
CLEAN_TIMEOUT = 1500
LOCKED_GRACE = 45
# tools/demo.sh --vm runs this test with progress lines.
LOG = (env_mod.say if os.environ.get('NBDE_E2E_VERBOSE')
       else (lambda msg: None))


def build_inputs():
    """(guest image description, ramdisk description), cached builds."""
    ramdisk = ramdisk_mod.build(CACHE)
    built = subprocess.run(
        [sys.executable, BUILD_IMAGE, os.path.join(CACHE, 'guest-images'),
         '--qemu-only', '--reuse', '--keyed'], check=True,
        stdout=subprocess.PIPE, timeout=2400)
    return json.loads(built.stdout), ramdisk


class VmNodeBase(base.E2ETestCase):
    """A VM node environment, its figures and helpers (no test here)."""

    environment_class = vmnode.VmEnvironment
    log = staticmethod(LOG)

    @classmethod
    def missing(cls):
        return vmnode.missing()

    @classmethod
    def environment_args(cls):
        cls.image, cls.ramdisk = build_inputs()
        return {'image': cls.image, 'ramdisk': cls.ramdisk, 'nodes': 1}

    def setUp(self):
        super().setUp()
        self.figures = {'ramdisk_build': self.ramdisk.get('build_seconds')}
        self.addCleanup(self._print_figures)

    def _print_figures(self):
        LOG('summary: %s' % json.dumps(self.figures, indent=1))
        self.addDetail('figures', testtools.content.text_content(
            json.dumps(self.figures)))

    # -- helpers ----------------------------------------------------------
    def recoveries(self):
        return [len([r for r in s.requests()
                     if 'POST /rec/' in r and '=> 200' in r])
                for s in self.env.tang]

    def urls(self, indices):
        return [self.env.tang_urls()[i] for i in indices]

    def wait_booted(self, node, count, since):
        report = self.env.wait_report(node, count, BOOT_TIMEOUT)
        self.assertIsNotNone(report, 'no report %d from the guest; console '
                             'tail:\n%s' % (
                                 count, self.env.vms[node.id].console_tail()))
        self.assertEqual(EXPECTED, {k: v for k, v in report.items()
                                    if k in EXPECTED})
        return time.monotonic() - since

    def deploy_by_trait(self, node, trait, args):
        """A deploy template ``trait`` with ``nbde_encrypt`` ``args``;
        deploy by the trait; the record covers the root (the image's LUKS
        UUID) and the data disk.

        :returns: the record.
        """
        self.env.conn.baremetal.create_deploy_template(
            name=trait, steps=policy.deploy_steps(args))
        start = time.monotonic()
        result = self.env.deploy(node, traits=[trait],
                                 timeout=DEPLOY_TIMEOUT)
        self.figures['deploy_to_active'] = round(time.monotonic() - start)
        self.figures.update(ironic_log.deploy_figures(
            self.env.ironic.log_path, node.id))
        self.assertEqual('active', result.provision_state)
        record = result.properties['nbde']
        self.assertEqual({'/dev/vda2', '/dev/vdb'},
                         {d['device'] for d in record['devices']})
        root_entry = next(d for d in record['devices']
                          if d['device'] == '/dev/vda2')
        self.assertEqual(self.image['luks_uuid'], root_entry['luks_uuid'])
        return record

    def erase(self, node):
        """Manual cleaning crypto-erases both disks: no LUKS header left
        on the root partition or the data disk."""
        LOG('phase: manual cleaning with nbde_crypto_erase')
        start = time.monotonic()
        result = self.env.clean(node, [{'interface': 'deploy',
                                        'step': 'nbde_crypto_erase'}],
                                timeout=CLEAN_TIMEOUT)
        self.figures['crypto_erase_clean'] = round(time.monotonic() - start)
        self.assertEqual('manageable', result.provision_state)
        self.assertNotIn('nbde', result.properties)
        with loopdev.attached(node.nbde_disks['root'], 2) as root, \
                loopdev.attached(node.nbde_disks['data'][0]) as data:
            for dev in (root, data):
                self.assertTrue(os.path.exists(dev), dev)
                self.assertFalse(proofs.nothing_opens(dev)['luks_header'],
                                 dev)


class VmNodeTest(VmNodeBase):

    tang_servers = 4
    rundir_prefix = 'nbde-vm-'

    def rebind_cli(self, node, indices, threshold):
        """``ironic-nbde rebind`` run where the guest URLs resolve."""
        ns = netns_mod.Namespace(
            self.rundir, self.env.procs, 'nbde-vm-cli-%d' % os.getpid(),
            [(ip, 80, s.port) for ip, s in zip(self.env.tang_aliases,
                                                self.env.tang)],
            loopback=[self.env.ironic.port])
        self.addCleanup(ns.stop)
        ns.start()
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
               '--os-cloud', 'nbde-e2e', '-f', 'json', 'rebind', node.name,
               '--threshold', str(threshold), '--yes']
        for url in self.urls(indices):
            cmd += ['--tang', url]
        proc = subprocess.run(ns.command(*cmd), env=self.env.cli_env(),
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(0, proc.returncode, proc.stderr)
        ns.stop()
        return json.loads(proc.stdout)

    # -- the flow ---------------------------------------------------------
    def test_vm_node_lifecycle(self):
        env = self.env
        bm = env.conn.baremetal
        args = policy.encrypt_args(env.tang[:3], threshold=2,
                                   urls=self.urls(range(3)),
                                   passphrase=self.image[
                                       'provisioning_passphrase'])
        args['disks'] = [DATA_HINT]
        node = env.enroll('vm-node')

        # Deploy by trait -> the NBDE deploy template -> active.
        LOG('phase: deploy %s by trait %s (sss 2-of-3 at %s, data disk by '
            'hint %s)' % (node.name, TRAIT, ', '.join(self.urls(range(3))),
                          DATA_HINT))
        record = self.deploy_by_trait(node, TRAIT, args)
        for device in record['devices']:
            self.assertEqual(self.urls(range(3)),
                             [s['url'] for s in device['tang']])

        LOG('phase: active; waiting for the disk to boot and unlock')
        # Ironic booted the disk: OVMF -> its bootloader -> initramfs ->
        # root unlocked through Tang, data volume opened.
        self.figures['active_to_unlocked'] = round(
            self.wait_booted(node, 1, time.monotonic()))
        with loopdev.attached(node.nbde_disks['root'], 2) as dev:
            # The partition is the LUKS root (so the check below is not
            # vacuous), and the published passphrase no longer opens it.
            self.assertTrue(proofs.is_luks(dev), dev)
            self.assertFalse(proofs.opens(
                dev, self.image['provisioning_passphrase'].encode()))

        # Reboot through Redfish with server 0 stopped: 2 of 3 suffice.
        LOG('phase: reboot through Redfish with Tang server 0 stopped')
        env.tang[0].stop()
        before = self.recoveries()
        try:
            start = time.monotonic()
            env.reboot(node)
            self.figures['reboot_to_unlocked'] = round(
                self.wait_booted(node, 2, start))
        finally:
            env.tang[0].restart()
        after = self.recoveries()
        self.assertEqual(before[0], after[0])
        self.assertGreaterEqual(after[1] - before[1], 2)
        self.assertGreaterEqual(after[2] - before[2], 2)

        # Day 2: rebind to {1, 2, 3} through the ramdisk; the node returns
        # to active and boots its disk again.
        LOG('phase: ironic-nbde rebind to %s'
            % ', '.join(self.urls([1, 2, 3])))
        rows = self.rebind_cli(node, [1, 2, 3], threshold=2)
        self.assertEqual('servicing', rows[0]['action'])
        start = time.monotonic()
        result = env._run_agent(node, [], ('active',), SERVICE_TIMEOUT,
                                'service')
        self.figures['rebind_to_active'] = round(time.monotonic() - start)
        self.assertEqual('service.nbde_rebind',
                         result.properties['nbde']['step'])
        for device in result.properties['nbde']['devices']:
            self.assertEqual(self.urls([1, 2, 3]),
                             [s['url'] for s in device['tang']])
        self.wait_booted(node, 3, start)
        # The next boot unlocks with the new set alone: 0 and 1 down.
        LOG('phase: reboot with Tang servers 0 and 1 stopped')
        for server in env.tang[:2]:
            server.stop()
        before = self.recoveries()
        try:
            env.reboot(node)
            self.wait_booted(node, 4, time.monotonic())
        finally:
            for server in env.tang[:2]:
                server.restart()
        after = self.recoveries()
        self.assertEqual(before[:2], after[:2])
        self.assertGreaterEqual(after[3] - before[3], 2)

        # Negative control: every Tang down, the guest waits at the prompt.
        LOG('phase: negative control, every Tang server stopped')
        vm = env.vms[node.id]
        for server in env.tang:
            server.stop()
        before = self.recoveries()
        try:
            mark = vm.console_size()
            env.reboot(node)
            prompted = vm.wait_prompt(mark, BOOT_TIMEOUT, LOCKED_GRACE)
        finally:
            for server in env.tang:
                server.restart()
        self.assertTrue(prompted, vm.console_tail())
        self.assertEqual(4, len(vm.reports()))
        self.assertEqual(before, self.recoveries())
        bm.set_node_power_state(node, 'power off', wait=True, timeout=120)

        # Tear-down: manual cleaning crypto-erases both disks.
        self.erase(node)
