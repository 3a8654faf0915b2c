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

"""``openstack baremetal nbde ...``: the operator commands as an
OpenStackClient plugin.

Registered under ``openstack.cli.extension`` (this module is the plugin:
``API_NAME``, ``make_client``, ``build_option_parser``) with its commands
in ``openstack.baremetal_nbde.v1``. Each command is one of
:data:`ironic_nbde.cli.commands.COMMANDS` — the same arguments and action
as ``ironic-nbde`` — on the session and cloud configuration OSC already
has; cliff gives the output options (``-f table|json|yaml|value|csv``,
``-c``, ``--max-width``). A command exits 3 when it needs attention, as
``ironic-nbde`` does.

A thumbprint starting with ``-`` is given as ``--thumbprint=-...``.
"""

from osc_lib.cli import format_columns
from osc_lib.command import command

from ironic_nbde.cli import commands
from ironic_nbde.cli import library
from ironic_nbde.tang import http

API_NAME = 'baremetal_nbde'
API_VERSION_OPTION = 'os_baremetal_nbde_api_version'
API_VERSIONS = {'1': 'ironic_nbde.cli.library.NbdeAdmin'}
DEFAULT_API_VERSION = '1'


def make_client(instance):
    """The library object over OSC's own SDK connection."""
    return library.NbdeAdmin(instance.sdk_connection)


def build_option_parser(parser):
    parser.add_argument(
        '--os-baremetal-nbde-api-version', metavar='<version>',
        default=DEFAULT_API_VERSION,
        help='ironic-nbde command set version (default: %s)'
             % DEFAULT_API_VERSION)
    return parser


def _column(value):
    if isinstance(value, list):
        return format_columns.ListColumn(value)
    if isinstance(value, dict):
        return format_columns.DictColumn(value)
    return value


class _NbdeCommand(command.Lister):
    """One ironic-nbde command (set ``nbde``)."""

    nbde = None
    _code = 0

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.description = self.nbde.help
        parser.add_argument('--tang-deadline', type=http.deadline_arg,
                            default=http.Settings.deadline,
                            metavar='SECONDS',
                            help='give up on a Tang server after this '
                                 'many seconds per request, retries '
                                 'included')
        self.nbde.add_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        admin = self.app.client_manager.baremetal_nbde
        admin = library.NbdeAdmin(admin.conn, http.Client(http.Settings(
            deadline=parsed_args.tang_deadline)))
        data, self._code = self.nbde.action(admin, parsed_args)
        rows = data if isinstance(data, list) else [data]
        columns = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        return columns, ([_column(r.get(c)) for c in columns] for r in rows)

    def run(self, parsed_args):
        super().run(parsed_args)
        return self._code


def _command(words):
    found = next(c for c in commands.COMMANDS if c.words == words)
    return type(''.join(w.title().replace('-', '') for w in words),
                (_NbdeCommand,), {'nbde': found, '__doc__': found.help,
                                  '__module__': __name__})


TemplateCreate = _command(('template', 'create'))
TemplateList = _command(('template', 'list'))
Status = _command(('status',))
Report = _command(('report',))
Keys = _command(('keys',))
Rebind = _command(('rebind',))
Rotate = _command(('rotate',))
RecoveryKey = _command(('recovery-key',))
FlavorCreate = _command(('flavor', 'create'))
