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
from ironic_nbde.cli import commands
from ironic_nbde.cli import library
from ironic_nbde.cli import output
from ironic_nbde.tang import http

ATTENTION = commands.ATTENTION
EXIT_CODES = """exit status:
  0  success
  1  error (one line on stderr names the cause; --debug shows more)
  2  usage error
  3  needs attention: report found a binding that needs it, keys
     --safe-to-delete is not safe, rotate left a node failed or not
     started"""
# Errors of the cloud configuration and of the HTTP transport.
_CLOUD_ERRORS = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)


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
    groups = {}
    for cmd in commands.COMMANDS:
        where = sub
        if len(cmd.words) == 2:
            if cmd.words[0] not in groups:
                groups[cmd.words[0]] = sub.add_parser(
                    cmd.words[0], help=_GROUPS[cmd.words[0]]).add_subparsers(
                    dest='action', required=True)
            where = groups[cmd.words[0]]
        cmd.add_arguments(where.add_parser(cmd.words[-1], parents=[common],
                                           help=cmd.help))
    return parser


_GROUPS = {'template': 'deploy templates', 'flavor': 'Nova flavors'}
_BY_WORDS = {(c.words + (None,))[:2]: c for c in commands.COMMANDS}


def main(argv=None, out=None):
    argv = commands.attach_values(sys.argv[1:] if argv is None else argv)
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
    command = _BY_WORDS[key]
    try:
        admin = None
        if not command.local:
            region = os_config.OpenStackConfig().get_one(
                argparse=cloud_args)
            admin = library.NbdeAdmin(
                connection.Connection(config=region),
                http.Client(http.Settings(deadline=args.tang_deadline)))
        data, code = command.action(admin, args)
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
