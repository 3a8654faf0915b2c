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

"""The operator commands, once for both command lines.

Each :class:`Command` has its words (``template create``), its help, the
function adding its arguments to a parser, and its action ``f(admin,
args) -> (rows, exit code)`` over :class:`~.library.NbdeAdmin`.
``ironic-nbde`` (:mod:`.main`, argparse) and ``openstack baremetal nbde``
(:mod:`.osc`, cliff) are both built from :data:`COMMANDS`; neither holds
any logic of its own.
"""

import argparse
import dataclasses
import sys

from ironic_nbde import exception
from ironic_nbde.cli import flavor
from ironic_nbde.cli import health
from ironic_nbde.cli import ironic_conf
from ironic_nbde.cli import output
from ironic_nbde.cli import templates
from ironic_nbde.cli import trust

ATTENTION = 3
# Options whose value may start with '-' (a base64url thumbprint).
THUMBPRINT_OPTIONS = ('--thumbprint', '--safe-to-delete', '--key')


@dataclasses.dataclass(frozen=True)
class Command:
    words: tuple
    help: str
    add_arguments: object
    action: object
    local: bool = False  # runs on local files: no cloud needed


def _policy_args(parser, rebind=False):
    parser.add_argument('--tang', action='append', metavar='URL',
                        help='Tang server (repeat for sss); required '
                             'unless --tpm2 is given')
    parser.add_argument('--threshold', type=int,
                        help='servers needed to unlock (default 1)')
    _tpm2_args(parser, rebind)
    parser.add_argument('--thumbprint', action='append', default=[],
                        metavar='THP', help='trusted signing-key '
                        'thumbprint from tang-show-keys (repeatable)')
    parser.add_argument('--yes', action='store_true', help='pin the '
                        'signing keys the servers advertise now')
    parser.add_argument('--disks', metavar='SELECTOR', help='"all" data '
                        'disks or JSON device hints')
    parser.add_argument('--dry-run', action='store_true',
                        help='show what would be sent; change nothing')


def _tpm2_args(parser, rebind):
    if rebind:
        which = parser.add_mutually_exclusive_group()
        which.add_argument('--tpm2', action='store_const', const=True,
                           default=None, help="bind to the node's TPM 2.0 "
                           'too, with this policy (default: each device '
                           'keeps its TPM part, or has none)')
        which.add_argument('--no-tpm2', dest='tpm2', action='store_const',
                           const=False, help='drop the TPM part: bind to '
                           'the Tang servers only')
    else:
        parser.add_argument('--tpm2', action='store_const', const=True,
                            default=None, help="bind to the node's TPM 2.0 "
                            'too (alone without --tang)')
    parser.add_argument('--pcr-ids', metavar='IDS', help='seal to these '
                        'PCRs too, e.g. 0,2 (only 0 and 2: measured alike '
                        'in the deploy ramdisk and the instance); implies '
                        '--tpm2')
    parser.add_argument('--pcr-bank', metavar='BANK', help='the PCR bank of '
                        '--pcr-ids (default sha256); only with --pcr-ids')
    parser.add_argument('--factor-threshold', type=int, metavar='N',
                        help='with --tang and a TPM part: 2 (default) '
                             'needs the TPM and the Tang servers, 1 '
                             'either')


def _tpm2(args):
    """The ``tpm2`` step argument the options ask for (None: not asked)."""
    return templates.tpm2_arg(args.tpm2, args.pcr_ids, args.pcr_bank)


def _no_arguments(parser):
    pass


def _template_create_args(create):
    create.add_argument('name', help='template name = trait, CUSTOM_...')
    _policy_args(create)
    create.add_argument('--root-image-passphrase', help='the PUBLISHED '
                        'provisioning passphrase of a pre-encrypted image')
    create.add_argument('--recovery-key', metavar='PUBKEY.jwk',
                        help='operator public key (JWK or PEM) for escrow')
    create.add_argument('--priority', type=int,
                        default=templates.DEFAULT_PRIORITY,
                        help='deploy step priority, %d-%d' % (
                            templates.MIN_PRIORITY, templates.MAX_PRIORITY))


def _node_arg(parser):
    parser.add_argument('node', help='node name or UUID')


def _keys_args(keys):
    keys.add_argument('--safe-to-delete', action='append', metavar='THP',
                      help='a key thumbprint (signing or exchange) to be '
                           'deleted (repeatable); lists the devices that '
                           'would fall below their threshold')
    keys.add_argument('--server', metavar='URL', help='with '
                      '--safe-to-delete: the keys are deleted from this '
                      'Tang server only (default: from any)')


def _rebind_args(rebind):
    rebind.add_argument('nodes', nargs='+', metavar='NODE',
                        help='node names or UUIDs')
    _policy_args(rebind, rebind=True)


def _rotate_args(rot):
    rot.add_argument('--server', action='append', default=[], metavar='URL',
                     help='rebind the bindings to this Tang server '
                          '(repeatable; default: those using rotated keys)')
    rot.add_argument('--key', action='append', default=[], metavar='THP',
                     help='rebind the bindings using this key (repeatable)')
    rot.add_argument('--max-concurrent', type=int, default=1, metavar='N',
                     help='nodes serviced at once (default 1)')
    rot.add_argument('--max-failures', type=int, default=0, metavar='N',
                     help='stop starting nodes once more than N failed '
                          '(default 0)')
    rot.add_argument('--timeout', type=int, default=3600, metavar='SECONDS',
                     help='per node, to come back active (default 3600)')
    rot.add_argument('--poll', type=float, default=5.0, metavar='SECONDS',
                     help=argparse.SUPPRESS)
    rot.add_argument('--thumbprint', action='append', default=[],
                     metavar='THP', help='the current signing-key '
                     'thumbprint of a rotated server, from tang-show-keys '
                     '(repeatable)')
    rot.add_argument('--yes', action='store_true', help='pin the signing '
                     'keys the rotated servers advertise now')
    rot.add_argument('--include-maintenance', action='store_true',
                     help='also nodes in maintenance')
    rot.add_argument('--include-failed', action='store_true',
                     help="also nodes in 'service failed' (a failed "
                          "earlier run)")
    rot.add_argument('--wait', action='store_true',
                     help='wait for every node (the default; nodes are '
                          'always waited for, wave by wave)')
    rot.add_argument('--dry-run', action='store_true',
                     help='show the plan; change nothing')


def _recovery_args(rkey):
    _node_arg(rkey)
    rkey.add_argument('--private-key', required=True, metavar='FILE',
                      help='the operator private key (JWK or PEM)')
    rkey.add_argument('--device', help='only this device or LUKS UUID')


def _flavor_args(fcreate):
    fcreate.add_argument('name', help='the new flavor')
    fcreate.add_argument('--template', required=True, metavar='TRAIT',
                         help='the NBDE template (its trait)')
    fcreate.add_argument('--from', dest='base', default='baremetal',
                         metavar='FLAVOR', help='default: baremetal')
    fcreate.add_argument('--dry-run', action='store_true',
                         help='show what would be done; change nothing')


def _conductor_args(conductor):
    conductor.add_argument('config_file', metavar='IRONIC_CONF',
                           help="the conductor's ironic.conf")
    conductor.add_argument('--dry-run', action='store_true',
                           help='show the change; write nothing')


def _confirm(probes):
    if not sys.stdin.isatty():
        return False
    answer = input('Pin the signing keys above? [y/N] ')
    return answer.strip().lower() in ('y', 'yes')


def _pin(admin, args, urls=None):
    """Pin the Tang servers (``--tang``, or ``urls``); None without any."""
    urls = args.tang if urls is None else urls
    if not urls:
        if args.thumbprint:
            raise exception.InvalidTemplate(
                name='--thumbprint', reason='only with --tang (it pins '
                'Tang signing keys)')
        return None
    probes = admin.probe(urls)
    print(output.render([{'tang': p.url, 'signing_thumbprints':
                          p.thumbprints} for p in probes], 'table'),
          file=sys.stderr)
    confirm = (lambda _p: True) if args.yes else _confirm
    return trust.pin(probes, args.thumbprint, confirm)


def _template_create(admin, args):
    recovery_jwk = (templates.load_public_jwk(args.recovery_key)
                    if args.recovery_key else None)
    templates.check_name(args.name)
    disks = templates.parse_disks(args.disks)
    tpm2 = _tpm2(args)
    body = admin.create_template(
        args.name, _pin(admin, args), args.threshold, disks,
        args.root_image_passphrase, recovery_jwk, args.priority,
        dry_run=args.dry_run, tpm2=tpm2,
        factor_threshold=args.factor_threshold)
    step = templates.nbde_step(body)
    row = dict(templates.describe(body['name'], step, body.get('uuid')),
               steps=[s['step'] for s in body['steps']],
               dry_run=args.dry_run,
               flavor_command=templates.flavor_command(args.name))
    return row, 0


def _rebind(admin, args):
    tpm2 = _tpm2(args)
    disks = templates.parse_disks(args.disks)
    return admin.rebind(args.nodes, _pin(admin, args), args.threshold,
                        disks, dry_run=args.dry_run, tpm2=tpm2,
                        factor_threshold=args.factor_threshold), 0


def _report(admin, args):
    rows = admin.report()
    return rows, ATTENTION if health.flagged(rows) else 0


def _progress(item, done, total):
    if sys.stderr.isatty():
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write('\r[%s%s] %d/%d %s' % (
            '#' * filled, '-' * (width - filled), done, total,
            ('%s: %s' % (item.node, item.result))[:40].ljust(40)))
        if done == total:
            sys.stderr.write('\n')
    else:
        print('ironic-nbde: %s: %s%s' % (item.node, item.result,
                                         ' (%s)' % item.detail
                                         if item.detail else ''),
              file=sys.stderr)
    sys.stderr.flush()


def _rotate(admin, args):
    def pin(urls):
        return {p['url']: p['thp'] for p in _pin(admin, args, urls)}

    items = admin.rotation_plan(pin, args.server, args.key,
                                args.include_maintenance,
                                args.include_failed)
    if not args.dry_run:
        admin.rotate(items, args.max_concurrent, args.max_failures,
                     args.timeout, args.poll, _progress)
    counts = {}
    for item in items:
        outcome = 'skipped' if item.skipped else (
            item.result or 'planned')
        counts[outcome] = counts.get(outcome, 0) + 1
    print('ironic-nbde: rotate: %s' % (', '.join(
        '%d %s' % (n, k) for k, n in sorted(counts.items())) or
        'no node uses a rotated key'), file=sys.stderr)
    bad = counts.get('failed', 0) + counts.get('not started', 0)
    return [i.row() for i in items], ATTENTION if bad else 0


def _keys(admin, args):
    if not args.safe_to_delete:
        if args.server:
            raise exception.InvalidTemplate(
                name='--server', reason='only with --safe-to-delete')
        return admin.keys(), 0
    rows = admin.endangered(args.safe_to_delete, args.server)
    print('ironic-nbde: deleting %s from %s is %s' % (
        ', '.join(args.safe_to_delete), args.server or 'any server',
        'NOT safe: %d device(s) would fall below their threshold'
        % len(rows) if rows else 'safe: every device keeps its threshold'),
        file=sys.stderr)
    return rows, ATTENTION if rows else 0


COMMANDS = (
    Command(('template', 'create'), 'pin Tang servers, write a template',
            _template_create_args, _template_create),
    Command(('template', 'list'), 'NBDE deploy templates', _no_arguments,
            lambda a, _: (a.templates(), 0)),
    Command(('status',), "a node's recorded binding", _node_arg,
            lambda a, args: (a.status(args.node), 0)),
    Command(('report',), 'check every binding against its Tang servers '
            '(exit 3: needs attention)', _no_arguments, _report),
    Command(('keys',), 'the Tang keys recorded bindings need; '
            '--safe-to-delete: exit 0 if deleting keys leaves every device '
            'at or above its threshold, 3 if not', _keys_args, _keys),
    Command(('rebind',), 'move nodes to new Tang servers, keep, replace '
            'or drop their TPM part (service step)', _rebind_args, _rebind),
    Command(('rotate',), 'rebind, in waves, every node whose bindings use '
            'Tang keys no longer advertised (exit 3 if a node failed or was '
            'not started)', _rotate_args, _rotate),
    Command(('recovery-key',), 'decrypt escrowed recovery passphrases',
            _recovery_args, lambda a, args: (a.recovery_keys(
                args.node, args.private_key, args.device), 0)),
    Command(('flavor', 'create'), 'a flavor like --from that requires the '
            'template trait; the trait on its nodes', _flavor_args,
            lambda a, args: (flavor.NbdeFlavor(a.conn).create(
                args.name, args.template, args.base, dry_run=args.dry_run),
                0)),
    Command(('enable-conductor',), 'add nbde to enabled_vendor_interfaces',
            _conductor_args, lambda _a, args: (ironic_conf.enable(
                args.config_file, dry_run=args.dry_run), 0), local=True),
)


def attach_values(argv, options=THUMBPRINT_OPTIONS):
    """``--thumbprint X`` as ``--thumbprint=X``: a base64url thumbprint
    may start with '-', which argparse would read as an option."""
    fixed, argv = [], list(argv)
    while argv:
        arg = argv.pop(0)
        if arg in options and argv:
            arg = '%s=%s' % (arg, argv.pop(0))
        fixed.append(arg)
    return fixed
