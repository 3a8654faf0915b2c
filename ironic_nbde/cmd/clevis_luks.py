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

"""``ironic-nbde-clevis luks ...``: clevis's LUKS commands on our LUKS2 layer.

Same meaning and output shape as ``clevis luks``::

    ironic-nbde-clevis luks bind -d DEV [-k KEYFILE|-] [-y] PIN CONFIG
    ironic-nbde-clevis luks list -d DEV       # N: tang '{"url":...}'
    ironic-nbde-clevis luks pass -d DEV -s SLOT
    ironic-nbde-clevis luks unbind -d DEV -s SLOT [-f]
    ironic-nbde-clevis luks regen -d DEV -s SLOT
    ironic-nbde-clevis luks verify -d DEV     # N: ok
"""

import getpass
import json
import sys

from ironic_nbde.cmd import common
from ironic_nbde import exception


def _luks():
    # Imported on use: ``luks --help`` stays cheap.
    from ironic_nbde import luks
    return luks


def _existing_key(args):
    """The -k key (file or stdin), a prompt on a terminal, or None to use
    an existing clevis binding as the authority."""
    if args.keyfile == '-':
        return sys.stdin.buffer.read()
    if args.keyfile:
        try:
            with open(args.keyfile, 'rb') as f:
                return f.read()
        except OSError as exc:
            raise exception.InvalidConfig(
                what='key file', reason='%s: %s' % (args.keyfile,
                                                    exc.strerror))
    luks = _luks()
    if sys.stdin.isatty() and not luks.list_bindings(args.device):
        return getpass.getpass('Enter existing LUKS password: ').encode()
    return None


def _bind(args):
    config, policy = common.pin_config(args)
    _luks().bind(args.device, args.pin, config,
                 passphrase=_existing_key(args), policy=policy)
    return 0


def format_binding(binding):
    """One line of ``clevis luks list``: ``N: pin 'config'``."""
    return "%d: %s '%s'" % (binding.keyslot, binding.pin,
                            json.dumps(binding.config,
                                       separators=(',', ':')))


def _list(args):
    for binding in _luks().list_bindings(args.device):
        print(format_binding(binding))
    return 0


def _pass(args):
    _, key = _luks().recover(args.device, args.slot)
    sys.stdout.buffer.write(key)
    sys.stdout.flush()
    return 0


def _unbind(args):
    if not args.force:
        if not sys.stdin.isatty():
            raise exception.UnsafeOperation(
                device=args.device, action='unbind keyslot %d' % args.slot,
                reason='not confirmed (use -f)')
        answer = input('The unbind operation will wipe a slot. Do you '
                       'wish to continue? [ynYN] ')
        if answer.strip().lower() != 'y':
            return 1
    _luks().unbind(args.device, args.slot)
    return 0


def _regen(args):
    _luks().rebind(args.device, slot=args.slot)
    return 0


def _verify(args):
    luks = _luks()
    failed = 0
    for binding in luks.list_bindings(args.device):
        try:
            luks.verify(args.device, binding.keyslot)
            print('%d: ok' % binding.keyslot)
        except exception.NbdeError as exc:
            failed += 1
            print('%d: failed: %s' % (binding.keyslot, exc))
    if failed:
        return 1
    return 0


def add_parsers(subparsers):
    """Register the ``luks`` command and its subcommands on ``subparsers``
    (an argparse sub-parsers object); each sets ``func(args) -> int``."""
    luks = subparsers.add_parser('luks', help='bind LUKS2 devices')
    sub = luks.add_subparsers(dest='luks_command', required=True)

    def command(name, help_text, func, slot=False):
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument('-d', dest='device', required=True,
                            help='the LUKS2 device')
        if slot:
            parser.add_argument('-s', dest='slot', type=int, required=True,
                                help='the keyslot of the binding')
        parser.set_defaults(func=func)
        return parser

    bind = command('bind', 'bind a device to a pin policy', _bind)
    bind.add_argument('-k', dest='keyfile',
                      help='existing key file ("-" reads stdin); default: '
                           'an existing clevis binding unlocks it')
    bind.add_argument('-y', dest='yes', action='store_true',
                      help='trust advertisements without a pinned '
                           'thumbprint (trust on first use; not advised)')
    bind.add_argument('pin', choices=['tang', 'sss', 'tpm2'])
    bind.add_argument('config', help='the pin config as JSON')
    command('list', 'list the clevis bindings', _list)
    command('pass', 'print the passphrase of a binding', _pass, slot=True)
    unbind = command('unbind', 'remove a binding', _unbind, slot=True)
    unbind.add_argument('-f', dest='force', action='store_true',
                        help='do not ask for confirmation')
    command('regen', 'rebind to the current keys (pinned)', _regen,
            slot=True)
    command('verify', 'prove every binding unlocks through Tang', _verify)
    return luks
