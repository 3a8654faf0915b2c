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

"""The all-in-one demo: real Ironic + real IPA + real tangd, on loop devices.

1. starts three tangd servers, a standalone Ironic with ironic-nbde's
   conductor piece, an image server with a pre-encrypted whole-disk image;
2. writes the deploy template with ``ironic-nbde template create``
   (thumbprints fetched and pinned);
3. path 1: deploys a node through the trait -> deploy template path;
4. path 2: deploys another with ``openstack baremetal node deploy
   --deploy-steps``;
5. prints ``properties['nbde']`` and proves, with stock clevis and
   cryptsetup, that every bound device unlocks through Tang, that the
   provisioning passphrase no longer opens the root and that the root's
   volume key differs from the image's;
6. path 3: manual cleaning with ``nbde_crypto_erase``; afterwards nothing
   opens and the property is gone.
Everything it started is stopped by PID at the end (``--keep`` keeps it
running until Ctrl-C).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import env as env_mod
from harness import images
from harness import policy
from harness import prereqs
from harness import proofs

TRAIT = 'CUSTOM_NBDE_DEMO'
say = env_mod.say


def cli(env, *args):
    """Run the operator CLI against the demo cloud; echo and return it."""
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ironic-nbde'),
           '--os-cloud', 'nbde-e2e'] + list(args)
    say('$ ironic-nbde %s' % ' '.join(args))
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env=env.cli_env())
    sys.stdout.write(out.stdout)
    if out.returncode != 0:
        raise SystemExit('ironic-nbde failed: %s' % out.stderr.strip())
    return out.stdout


def prove(env, node):
    """Check every device recorded for ``node``; return failures."""
    props = env.conn.baremetal.get_node(node.id).properties
    record = props.get('nbde')
    say("properties['nbde'] of %s:" % node.name)
    print(json.dumps(record, indent=2, sort_keys=True))
    failures = []
    if not record:
        return ['%s: no properties[nbde] recorded' % node.name]
    for dev in record['devices']:
        result = proofs.clevis_unlocks(dev['device'], dev['keyslot'])
        say('  %-14s keyslot %d  clevis luks list: %s' % (
            dev['device'], dev['keyslot'], result['clevis_luks_list']))
        say('  %-14s clevis luks pass | cryptsetup open '
            '--test-passphrase: %s' % (
                dev['device'],
                'UNLOCKS' if result['clevis_pass_unlocks'] else 'FAILED'))
        if not result['clevis_pass_unlocks']:
            failures.append('%s does not unlock: %s' % (dev['device'],
                                                        result['error']))
    root = node.nbde_disks['root'] + 'p2'
    root_dev = next((d for d in record['devices']
                     if d['device'] == root), None)
    if root_dev is None:
        return failures + ['root partition %s not recorded' % root]
    rekey = proofs.root_rekeyed(root, root_dev['keyslot'], env.image)
    say('  %-14s provisioning passphrase still opens it: %s' % (
        root, rekey['provisioning_passphrase_opens']))
    say('  %-14s volume key differs from the image\'s: %s' % (
        root, rekey['volume_key_differs_from_image']))
    if rekey['provisioning_passphrase_opens']:
        failures.append('provisioning passphrase still opens %s' % root)
    if not rekey['volume_key_differs_from_image']:
        failures.append('%s kept the image volume key' % root)
    return failures


def run(env, args):
    failures = []
    servers = policy.servers(env.tang)
    template_args = ['template', 'create', TRAIT, '--threshold', '2',
                     '--disks', 'all', '--root-image-passphrase',
                     images.PROVISIONING_PASSPHRASE, '--yes']
    for server in servers:
        template_args += ['--tang', server['url']]
    cli(env, *template_args)

    say('== path 1: flavor trait %s -> deploy template' % TRAIT)
    node1 = env.enroll('nbde-demo-1')
    env.deploy(node1, traits=[TRAIT])
    failures += prove(env, node1)
    cli(env, 'status', node1.name)

    if not args.skip_osc:
        say('== path 2: openstack baremetal node deploy --deploy-steps')
        node2 = env.enroll('nbde-demo-2')
        env.deploy_with_osc(node2, policy.deploy_steps(
            policy.encrypt_args(env.tang)))
        failures += prove(env, node2)

    say('== fleet report (reachability and pinned keys of every binding)')
    cli(env, 'report')

    say('== path 3: manual cleaning with nbde_crypto_erase on %s'
        % node1.name)
    recorded = env.conn.baremetal.get_node(node1.id).properties['nbde']
    env.clean(node1, [{'interface': 'deploy', 'step': 'nbde_crypto_erase'}])
    for dev in recorded['devices']:
        after = proofs.nothing_opens(dev['device'])
        say('  %-14s LUKS header left: %s, clevis bindings: %s' % (
            dev['device'], after['luks_header'], after['clevis_bindings']))
        if after['luks_header'] or after['clevis_bindings']:
            failures.append('%s still has a header' % dev['device'])
    props = env.conn.baremetal.get_node(node1.id).properties
    say("  properties['nbde'] after crypto-erase: %s"
        % props.get('nbde', 'gone'))
    if 'nbde' in props:
        failures.append("properties['nbde'] survived crypto-erase")
    return failures


def run_vm():
    """``--vm``: the VM-node flow (tests/e2e/test_vm_node.py) with its
    progress lines and summary: the same code the test runs."""
    say('== VM node: Ironic -> Redfish (sushy-tools) -> libvirt/qemu -> '
        'the IPA ramdisk our element builds; then the disk boots by itself')
    env = dict(os.environ, NBDE_E2E_VERBOSE='1', NBDE_REQUIRE_REAL='1')
    proc = subprocess.run([sys.executable, '-m', 'testtools.run',
                           'tests.e2e.test_vm_node'], env=env,
                          cwd=os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__))))
    say('DEMO %s' % ('PASSED: the VM node was deployed, booted, unlocked '
                     'through Tang, rebound and crypto-erased'
                     if proc.returncode == 0 else 'FAILED (see above)'))
    return proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--vm', action='store_true',
                        help='the VM-node flow instead (virtual BMC, the '
                        'real ramdisk, boot from disk; ~30-60 min)')
    parser.add_argument('--keep', action='store_true',
                        help='leave everything running until Ctrl-C')
    parser.add_argument('--skip-osc', action='store_true',
                        help='skip path 2 (openstack ... --deploy-steps)')
    parser.add_argument('--rundir', help='where logs and state go '
                        '(default: a new temporary directory)')
    args = parser.parse_args()
    if args.vm:
        return run_vm()
    gap = prereqs.missing()
    if gap:
        raise SystemExit('the demo needs %s (run tools/demo.sh)' % gap)
    rundir = args.rundir or tempfile.mkdtemp(prefix='nbde-demo-')
    env = env_mod.Environment(rundir)
    failures = ['did not finish']
    try:
        env.start()
        failures = run(env, args)
        if args.keep:
            say('running; Ironic at %s, clouds.yaml %s (cloud nbde-e2e); '
                'Ctrl-C to stop' % (env.ironic.url, env.clouds_yaml))
            try:
                while True:
                    subprocess.run(['sleep', '3600'], check=False)
            except KeyboardInterrupt:
                pass
    finally:
        env.stop()
        say('stopped everything the demo started; logs in %s'
            % env.logdir)
    if failures:
        say('DEMO FAILED: %s' % '; '.join(failures))
        return 1
    say('DEMO PASSED: deployed, bound, recorded, proven and erased')
    if not args.rundir and not args.keep:
        shutil.rmtree(os.path.join(rundir, 'http'), ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
