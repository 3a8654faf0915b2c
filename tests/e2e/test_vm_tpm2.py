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

"""A real node with a TPM: disks that open only on their own machine, on
their own network.

The VM node of :mod:`tests.e2e.test_vm_node` with an emulated TPM 2.0
(libvirt's ``tpm-crb`` over swtpm, its state kept by libvirt across power
cycles): the IPA ramdisk seals the tpm2 part of each binding with the
VM's TPM (``/dev/tpmrm0``, tpm2-tools from our element) to PCRs 0 and 2,
and the deploy template binds the root (pre-encrypted image, re-keyed)
and the data disk to sss(t=2, {tpm2, sss(1 of 3 Tang)}). The disk then
boots by its own bootloader and stock clevis in its initramfs unlocks it
unattended. Negative controls: every Tang down, the guest waits at the
passphrase prompt; the same disks with a fresh TPM (libvirt makes a new
one when the VM's TPM state is moved aside) and every Tang up, too. The
TPM state put back, the disk unlocks again; manual cleaning crypto-erases
both disks. Every phase has a hard timeout.
"""

import json
import os
import shutil
import subprocess
import time

from jwcrypto import jwk

from ironic_nbde.cli import recovery
from tests.e2e import test_vm_node as vm_test
from harness import guest
from harness import loopdev
from harness import policy
from harness import proofs
from harness import swtpm
from harness import vmnode

TRAIT = 'CUSTOM_NBDE_VM_TPM2'
TPM2 = {'pcr_ids': [0, 2]}
LOG = vm_test.LOG
BOOT_TIMEOUT = vm_test.BOOT_TIMEOUT
SERVICE_TIMEOUT = vm_test.SERVICE_TIMEOUT
LOCKED_GRACE = vm_test.LOCKED_GRACE
POWER_TIMEOUT = 120
# What the guest's initramfs prints once the root is open, and how long
# after the passphrase prompt a locked guest must not print it (an
# unattended unlock takes well under a minute after the prompt here).
UNLOCKED = 'cryptsetup: root: set up successfully'
LOCKED_WINDOW = 150
# What the record may say of the TPM part: the pin's public policy.
TPM2_RECORD = {'hash': 'sha256', 'key': 'ecc', 'pcr_bank': 'sha256',
               'pcr_ids': [0, 2]}


class _VmTpm2Base(vm_test.VmNodeBase):
    """A VM node with a TPM; helpers only (no test here)."""

    tang_servers = 3
    rundir_prefix = 'nbde-vm-tpm2-'

    @classmethod
    def missing(cls):
        gaps = [vmnode.missing()]
        if not swtpm.have_swtpm() or not shutil.which('swtpm_setup'):
            gaps.append('swtpm, swtpm_setup, tpm2-tools and clevis-tpm2')
        return ', '.join(g for g in gaps if g) or None

    # -- helpers ----------------------------------------------------------
    def power(self, node, state):
        self.env.conn.baremetal.set_node_power_state(
            node, state, wait=True, timeout=POWER_TIMEOUT)

    def wait_off(self, node):
        """The domain (and with it libvirt's swtpm) has stopped."""
        vm = self.env.vms[node.id]
        deadline = time.monotonic() + POWER_TIMEOUT
        while self.env.libvirt.state(vm.name) != 'shut off':
            if time.monotonic() > deadline:
                self.fail('%s still %s' % (vm.name,
                                           self.env.libvirt.state(vm.name)))
            time.sleep(1)

    def locked(self, node, what):
        """Power the node on: it must stop at the passphrase prompt and
        stay there: the initramfs never sets the root up (it prints the
        prompt before clevis tries, on every boot) within
        :data:`LOCKED_WINDOW` of the prompt, no new report; then power it
        off."""
        vm = self.env.vms[node.id]
        reports = len(vm.reports())
        mark = vm.console_size()
        self.power(node, 'power on')
        prompted = vm.wait_prompt(mark, BOOT_TIMEOUT, LOCKED_GRACE)
        self.assertTrue(prompted, '%s: no passphrase prompt; console tail:'
                                  '\n%s' % (what, vm.console_tail()))
        deadline = time.monotonic() + LOCKED_WINDOW - LOCKED_GRACE
        while time.monotonic() < deadline:
            since = guest._read(vm.console)[mark:]
            self.assertNotIn(UNLOCKED, since, '%s: the root unlocked' % what)
            time.sleep(2)
        self.assertEqual(reports, len(vm.reports()), what)
        self.power(node, 'power off')
        self.wait_off(node)

    def deploy_checked(self, node, args):
        """Deploy by :data:`TRAIT`; check the record's TPM part."""
        record = self.deploy_by_trait(node, TRAIT, args)
        # Public policy only: nothing sealed, no key, in the record.
        text = json.dumps(record)
        for word in ('jwk_pub', 'jwk_priv', 'sealed', 'blob'):
            self.assertNotIn(word, text)
        return record


class VmTpm2Test(_VmTpm2Base):

    # -- the flow ---------------------------------------------------------
    def test_vm_tpm2_lifecycle(self):
        env = self.env
        args = policy.encrypt_args(env.tang[:3], threshold=1,
                                   urls=self.urls(range(3)),
                                   passphrase=self.image[
                                       'provisioning_passphrase'])
        args.update(disks=[vm_test.DATA_HINT], tpm2=dict(TPM2),
                    factor_threshold=2)
        node = env.enroll('vm-tpm2', tpm=True)
        vm = env.vms[node.id]
        tpm_state = env.libvirt.swtpm_state(vm.uuid)

        LOG('phase: deploy %s by trait %s (sss 2 of {tpm2 PCRs 0,2, sss 1 '
            'of 3 at %s}, data disk by hint %s)' % (
                node.name, TRAIT, ', '.join(self.urls(range(3))),
                vm_test.DATA_HINT))
        record = self.deploy_checked(node, args)
        # libvirt made the VM's TPM at its first start and keeps it.
        self.assertTrue(os.path.isdir(tpm_state), tpm_state)
        for device in record['devices']:
            self.assertEqual(TPM2_RECORD, device['tpm2'])
            self.assertEqual(2, device['factor_threshold'])
            self.assertEqual(1, device['threshold'])
            self.assertEqual(self.urls(range(3)),
                             [s['url'] for s in device['tang']])

        LOG('phase: active; waiting for the disk to boot and unlock '
            '(TPM + Tang)')
        before = self.recoveries()
        self.figures['active_to_unlocked'] = round(
            self.wait_booted(node, 1, time.monotonic()))
        self.assertGreater(sum(self.recoveries()) - sum(before), 0)
        with loopdev.attached(node.nbde_disks['root'], 2) as dev:
            # (A positive control: the partition is the LUKS root.)
            self.assertTrue(proofs.is_luks(dev), dev)
            self.assertFalse(proofs.opens(
                dev, self.image['provisioning_passphrase'].encode()))
        self.power(node, 'power off')
        self.wait_off(node)

        # Negative control 1: the same VM (its TPM) with every Tang down.
        LOG('phase: negative control, every Tang server stopped')
        for server in env.tang:
            server.stop()
        before = self.recoveries()
        try:
            self.locked(node, 'every Tang down')
        finally:
            for server in env.tang:
                server.restart()
        self.assertEqual(before, self.recoveries())

        # Negative control 2: the same disks, every Tang up, another TPM:
        # with its state moved aside libvirt makes a fresh TPM at start.
        LOG('phase: negative control, a fresh TPM (every Tang up)')
        aside = tpm_state + '.deployed'
        os.rename(tpm_state, aside)
        try:
            before = self.recoveries()
            self.locked(node, 'a fresh TPM')
            # Tang answered (the guest asked it): the TPM alone said no.
            self.figures['fresh_tpm_tang_recoveries'] = (
                sum(self.recoveries()) - sum(before))
            self.assertTrue(os.path.isdir(tpm_state), 'no fresh TPM made')
        finally:
            if os.path.isdir(aside):
                shutil.rmtree(tpm_state, ignore_errors=True)
                os.rename(aside, tpm_state)

        # The VM's own TPM back: it unlocks again, unattended.
        LOG('phase: the VM\'s own TPM restored; boot and unlock')
        start = time.monotonic()
        self.power(node, 'power on')
        self.figures['restored_to_unlocked'] = round(
            self.wait_booted(node, 2, start))
        self.power(node, 'power off')
        self.wait_off(node)

        # Tear-down: manual cleaning crypto-erases both disks.
        self.erase(node)


class VmTpm2ClevisInteropTest(_VmTpm2Base):
    """Both ways with stock clevis's tpm2 pin on the VM: a binding that
    stock ``clevis luks bind`` made with the VM's TPM (through swtpm over
    the VM's own TPM state, the VM off) unlocks the disk at boot with
    every Tang down, and our ``nbde_rebind`` in the ramdisk recovers
    through it (the old Tang servers down) and rebinds to a new set."""

    tang_servers = 4
    rundir_prefix = 'nbde-vm-tpm2-clevis-'

    def clevis_bind(self, device, passphrase, tcti):
        """Stock ``clevis luks bind`` of a TPM-only binding."""
        proc = subprocess.run(
            ['clevis', 'luks', 'bind', '-y', '-d', device, '-k', '-',
             'tpm2', '{}'], input=passphrase.encode(), capture_output=True,
            env=dict(os.environ, TPM2TOOLS_TCTI=tcti), timeout=300)
        self.assertEqual(0, proc.returncode, proc.stderr.decode()[-2000:])
        listed = subprocess.run(['clevis', 'luks', 'list', '-d', device],
                                capture_output=True, text=True, timeout=60)
        self.assertIn('tpm2', listed.stdout)
        return listed.stdout

    def test_vm_tpm2_clevis_interop(self):
        env = self.env
        operator = jwk.JWK.generate(kty='EC', crv='P-256')
        args = policy.encrypt_args(env.tang[:3], threshold=1,
                                   urls=self.urls(range(3)),
                                   passphrase=self.image[
                                       'provisioning_passphrase'])
        args.update(disks=[vm_test.DATA_HINT], tpm2=True,
                    factor_threshold=2,
                    recovery_jwk=operator.export_public(as_dict=True))
        node = env.enroll('vm-tpm2-clevis', tpm=True)
        vm = env.vms[node.id]
        LOG('phase: deploy %s (sss 2 of {tpm2, sss 1 of 3}, recovery '
            'escrow)' % node.name)
        record = self.deploy_checked(node, args)
        passphrases = {d['device']: recovery.decrypt(
            d['recovery'], operator, node.name, d['device'])
            for d in record['devices']}
        self.wait_booted(node, 1, time.monotonic())
        self.power(node, 'power off')
        self.wait_off(node)

        # Stock clevis adds a TPM-only binding with the VM's TPM.
        LOG('phase: stock clevis luks bind tpm2 with the VM\'s TPM (VM off)')
        disks = node.nbde_disks
        with swtpm.SwTpm(state_dir=env.libvirt.swtpm_state(vm.uuid),
                         set_conf=False) as tpm, \
                loopdev.attached(disks['root'], 2, False) as root, \
                loopdev.attached(disks['data'][0], None, False) as data:
            # swtpm's dictionary-attack defaults (3 tries) are a TPM no
            # machine ships with; a forced power-off after the TPM was
            # used counts as one. Give it a real TPM's (32 tries).
            tpm.tool('tpm2_dictionarylockout', '--setup-parameters',
                     '--max-tries=32', '--recovery-time=600',
                     '--lockout-recovery-time=600')
            for dev, device in ((root, '/dev/vda2'), (data, '/dev/vdb')):
                self.clevis_bind(dev, passphrases[device], tpm.tcti)

        # Every Tang down: only the clevis-made binding can unlock.
        LOG('phase: boot with every Tang down (the clevis-made binding)')
        for server in env.tang:
            server.stop()
        try:
            before = self.recoveries()
            start = time.monotonic()
            self.power(node, 'power on')
            self.figures['clevis_tpm2_unlocked'] = round(
                self.wait_booted(node, 2, start))
            self.assertEqual(before, self.recoveries())
            self.power(node, 'power off')
            self.wait_off(node)
            # Day 2 with the old servers down: the ramdisk recovers through
            # the clevis-made binding and rebinds to {3}, TPM part kept.
            for server in env.tang[3:]:
                server.restart()
            LOG('phase: nbde_rebind to %s, old Tang servers down'
                % self.urls([3])[0])
            start = time.monotonic()
            result = env.service(node, [{
                'interface': 'deploy', 'step': 'nbde_rebind',
                'args': {'tang_servers': policy.servers(
                    env.tang[3:], urls=self.urls([3])), 'threshold': 1}}],
                SERVICE_TIMEOUT)
            self.figures['rebind_to_active'] = round(
                time.monotonic() - start)
            self.assertEqual('service.nbde_rebind',
                             result.properties['nbde']['step'])
            for device in result.properties['nbde']['devices']:
                self.assertEqual(self.urls([3]),
                                 [s['url'] for s in device['tang']])
                self.assertIn('tpm2', device)
            self.wait_booted(node, 3, start)
        finally:
            for server in env.tang:
                server.restart()
        self.power(node, 'power off')
        self.wait_off(node)
        self.erase(node)
