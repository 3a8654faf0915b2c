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

"""``ironic-nbde``: the operator command (argparse glue over NbdeAdmin).

Cloud access is openstacksdk's: ``--os-cloud`` / clouds.yaml / OS_*
variables. Exit status: 0 success, 1 error, 2 usage, 3 needs attention
(``report`` found a binding needing it, ``keys --safe-to-delete`` is not
safe, ``rotate`` left a node failed or not started).
"""

import argparse
import logging
import sys
import traceback

from keystoneauth1 import exceptions as ksa_exceptions

from openstack import config as os_config
from openstack import connection
from openstack import exceptions as sdk_exceptions

from ironic_nbde import exception
from ironic_nbde.cli import flavor
from ironic_nbde.cli import health
from ironic_nbde.cli import ironic_conf
from ironic_nbde.cli import library
from ironic_nbde.cli import output
from ironic_nbde.cli import templates
from ironic_nbde.cli import trust
from ironic_nbde.tang import http

ATTENTION = 3
EXIT_CODES = """exit status:
  0  success
  1  error (one line on stderr names the cause; --debug shows more)
  2  usage error
  3  needs attention: report found a binding that needs it, keys
     --safe-to-delete is not safe, rotate left a node failed or not
     started"""
# Errors of the cloud configuration and of the HTTP transport.
_CLOUD_ERRORS = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)


def _policy_args(parser):
    parser.add_argument('--tang', action='append', required=True,
                        metavar='URL', help='Tang server (repeat for sss)')
    parser.add_argument('--threshold', type=int,
                        help='servers needed to unlock (default 1)')
    parser.add_argument('--thumbprint', action='append', default=[],
                        metavar='THP', help='trusted signing-key '
                        'thumbprint from tang-show-keys (repeatable)')
    parser.add_argument('--yes', action='store_true', help='pin the '
                        'signing keys the servers advertise now')
    parser.add_argument('--disks', metavar='SELECTOR', help='"all" data '
                        'disks or JSON device hints')
    parser.add_argument('--dry-run', action='store_true',
                        help='show what would be sent; change nothing')


def _cloud_parser(argv):
    """openstacksdk's --os-* options (clouds.yaml, OS_* variables)."""
    parser = argparse.ArgumentParser(add_help=False)
    os_config.OpenStackConfig().register_argparse_arguments(parser, argv)
    return parser


def build_parser(argv):
    # -f works before or after the command. The subcommands' copy
    # defaults to SUPPRESS so that it never resets a value given before.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('-f', '--format', choices=output.FORMATS,
                        default=argparse.SUPPRESS, help='output format')
    common.add_argument('-c', '--column', action='append',
                        default=argparse.SUPPRESS, metavar='COLUMN',
                        help='show only this column (repeatable)')
    parser = argparse.ArgumentParser(
        prog='ironic-nbde', parents=[_cloud_parser(argv)],
        description='Network Bound Disk Encryption for Ironic nodes.',
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-f', '--format', choices=output.FORMATS,
                        default='table', help='output format')
    parser.add_argument('-c', '--column', action='append', default=None,
                        metavar='COLUMN',
                        help='show only this column (repeatable)')
    parser.add_argument('--debug', action='store_true',
                        help='on an error, show the traceback; log the '
                             'HTTP requests to Ironic (never a secret)')
    parser.add_argument('--tang-deadline', type=http.deadline_arg,
                        default=http.Settings.deadline, metavar='SECONDS',
                        help='give up on a Tang server after this many '
                             'seconds per request, retries included')
    sub = parser.add_subparsers(dest='command', required=True)
    tmpl = sub.add_parser('template', help='deploy templates')
    tsub = tmpl.add_subparsers(dest='action', required=True)
    create = tsub.add_parser('create', parents=[common],
                             help='pin Tang servers, write a template')
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
    tsub.add_parser('list', parents=[common], help='NBDE deploy templates')
    status = sub.add_parser('status', parents=[common],
                            help="a node's recorded binding")
    status.add_argument('node')
    sub.add_parser('report', parents=[common], help='check every binding '
                   'against its Tang servers (exit 3: needs attention)')
    keys = sub.add_parser(
        'keys', parents=[common], help='the Tang keys recorded bindings '
        'need; --safe-to-delete: exit 0 if deleting keys leaves every '
        'device at or above its threshold, 3 if not')
    keys.add_argument('--safe-to-delete', action='append', metavar='THP',
                      help='a key thumbprint (signing or exchange) to be '
                           'deleted (repeatable); lists the devices that '
                           'would fall below their threshold')
    keys.add_argument('--server', metavar='URL', help='with '
                      '--safe-to-delete: the keys are deleted from this '
                      'Tang server only (default: from any)')
    rebind = sub.add_parser('rebind', parents=[common], help='move nodes '
                            'to new Tang servers (service step)')
    rebind.add_argument('nodes', nargs='+', metavar='NODE')
    _policy_args(rebind)
    rot = sub.add_parser(
        'rotate', parents=[common], help='rebind, in waves, every node '
        'whose bindings use Tang keys no longer advertised (exit 3 if a '
        'node failed or was not started)')
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
    rkey = sub.add_parser('recovery-key', parents=[common],
                          help='decrypt escrowed recovery passphrases')
    rkey.add_argument('node')
    rkey.add_argument('--private-key', required=True, metavar='FILE')
    rkey.add_argument('--device', help='only this device or LUKS UUID')
    fcreate = sub.add_parser('flavor', help='Nova flavors').add_subparsers(
        dest='action', required=True).add_parser(
        'create', parents=[common], help='a flavor like --from that '
        'requires the template trait; the trait on its nodes')
    fcreate.add_argument('name')
    fcreate.add_argument('--template', required=True, metavar='TRAIT')
    fcreate.add_argument('--from', dest='base', default='baremetal',
                         metavar='FLAVOR', help='default: baremetal')
    fcreate.add_argument('--dry-run', action='store_true')
    conductor = sub.add_parser('enable-conductor', parents=[common],
                               help='add nbde to enabled_vendor_interfaces')
    conductor.add_argument('config_file', metavar='IRONIC_CONF')
    conductor.add_argument('--dry-run', action='store_true')
    return parser


def _confirm(probes):
    if not sys.stdin.isatty():
        return False
    answer = input('Pin the signing keys above? [y/N] ')
    return answer.strip().lower() in ('y', 'yes')


def _pin(admin, args, urls=None):
    probes = admin.probe(args.tang if urls is None else urls)
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
    body = admin.create_template(
        args.name, _pin(admin, args), args.threshold, disks,
        args.root_image_passphrase, recovery_jwk, args.priority,
        dry_run=args.dry_run)
    step = body['steps'][0]
    row = dict(templates.describe(body['name'], step, body.get('uuid')),
               dry_run=args.dry_run,
               flavor_command=templates.flavor_command(args.name))
    return row, 0


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


_ACTIONS = {
    ('template', 'create'): _template_create,
    ('template', 'list'): lambda a, _: (a.templates(), 0),
    ('status', None): lambda a, args: (a.status(args.node), 0),
    ('report', None): _report,
    ('keys', None): _keys,
    ('rotate', None): _rotate,
    ('rebind', None): lambda a, args: (a.rebind(
        args.nodes, _pin(a, args), args.threshold,
        templates.parse_disks(args.disks), dry_run=args.dry_run), 0),
    ('recovery-key', None): lambda a, args: (a.recovery_keys(
        args.node, args.private_key, args.device), 0),
    ('flavor', 'create'): lambda a, args: (flavor.NbdeFlavor(a.conn).create(
        args.name, args.template, args.base, dry_run=args.dry_run), 0),
}
# Commands on local files: no cloud needed.
_LOCAL_ACTIONS = {
    ('enable-conductor', None): lambda args: (ironic_conf.enable(
        args.config_file, dry_run=args.dry_run), 0),
}


def _attach_values(argv, options=('--thumbprint', '--safe-to-delete',
                                  '--key')):
    """``--thumbprint X`` as ``--thumbprint=X``: a base64url thumbprint
    may start with '-', which argparse would read as an option."""
    fixed, argv = [], list(argv)
    while argv:
        arg = argv.pop(0)
        if arg in options and argv:
            arg = '%s=%s' % (arg, argv.pop(0))
        fixed.append(arg)
    return fixed


def main(argv=None, out=None):
    argv = _attach_values(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    try:
        parser = build_parser(argv)
    except _CLOUD_ERRORS as e:  # openstacksdk reads the cloud already
        if '--debug' in argv:
            traceback.print_exc(file=sys.stderr)
        print('ironic-nbde: error: cloud configuration: %s' % _one_line(e),
              file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    # Only the --os-* options: openstacksdk would expand every other
    # string value as a template ('{...}' in --disks).
    cloud_args, _rest = _cloud_parser(argv).parse_known_args(argv)
    key = (args.command, getattr(args, 'action', None))
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        logging.getLogger('keystoneauth').setLevel(logging.DEBUG)
    try:
        if key in _LOCAL_ACTIONS:
            data, code = _LOCAL_ACTIONS[key](args)
        else:
            region = os_config.OpenStackConfig().get_one(
                argparse=cloud_args)
            admin = library.NbdeAdmin(
                connection.Connection(config=region),
                http.Client(http.Settings(deadline=args.tang_deadline)))
            data, code = _ACTIONS[key](admin, args)
    except (exception.NbdeError, *_CLOUD_ERRORS) as e:
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        print('ironic-nbde: error: %s' % _one_line(e), file=sys.stderr)
        return 1
    try:
        print(output.render(data, args.format, args.column), file=out)
    except output.UnknownColumn as e:
        print('ironic-nbde: error: %s' % e, file=sys.stderr)
        return 2
    return code


def _one_line(error):
    text = ' '.join(str(error).split()) or type(error).__name__
    return text if len(text) <= 400 else text[:397] + '...'



if __name__ == '__main__':
    sys.exit(main())
