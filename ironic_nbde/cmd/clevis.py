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

"""``ironic-nbde-clevis``: the clevis CLI's network pins, without clevis.

Shaped like clevis so an operator can use it in a ramdisk where clevis and
jose are not installed::

    ironic-nbde-clevis encrypt tang '{"url":"http://t","thp":"..."}' <IN >JWE
    ironic-nbde-clevis encrypt sss '{"t":2,"pins":{"tang":[...]}}' <IN >JWE
    ironic-nbde-clevis decrypt < JWE > OUT

Every failure exits non-zero with one line on stderr and nothing on stdout.
"""

import argparse
import importlib
import logging
import sys

from ironic_nbde.cmd import common
from ironic_nbde import exception

_LUKS_ARGV = 'luks'


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write('%s: error: %s\n' % (self.prog, message))
        sys.exit(2)


def _encrypt(args):
    from ironic_nbde.tang import pins
    config, policy = common.pin_config(args)
    plaintext = sys.stdin.buffer.read()
    jwe = pins.encrypt(args.pin, config, plaintext, policy,
                       common.tang_client(args))
    sys.stdout.write(jwe)
    sys.stdout.flush()
    return 0


def _decrypt(args):
    from ironic_nbde.tang import jwe
    from ironic_nbde.tang import pins
    data = pins.decrypt(sys.stdin.buffer.read(jwe.MAX_SIZE + 1),
                        common.tang_client(args))
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


def build_parser(argv=None):
    """The parser; with the ``luks`` commands when ``argv`` asks for them
    (or for help), so encrypt/decrypt stay light for a ramdisk. ``None``:
    every command (the CLI reference)."""
    parser = _Parser(prog='ironic-nbde-clevis',
                     description='clevis-compatible tang, sss and tpm2 pins.')
    parser.add_argument('--debug', action='store_true',
                        help='log debug messages to stderr (never secrets)')
    from ironic_nbde.tang import http
    parser.add_argument('--deadline', type=http.deadline_arg,
                        metavar='SECONDS',
                        help='give up on a Tang server after this many '
                             'seconds per request, retries included '
                             '(default 15)')
    sub = parser.add_subparsers(dest='command', required=True,
                                parser_class=_Parser)
    enc = sub.add_parser('encrypt', help='encrypt stdin to a pin policy')
    enc.add_argument('pin', choices=['tang', 'sss', 'tpm2'])
    enc.add_argument('config', help='the pin config as JSON, as for clevis')
    enc.add_argument('-y', dest='yes', action='store_true',
                     help='trust advertisements without a pinned '
                          'thumbprint (trust on first use; not advised)')
    enc.set_defaults(func=_encrypt)
    dec = sub.add_parser('decrypt', help='decrypt a clevis JWE on stdin')
    dec.set_defaults(func=_decrypt)
    if argv is None or _LUKS_ARGV in argv[:2] or '--help' in argv or \
            '-h' in argv:
        # A broken install must fail here, loudly, not hide the commands.
        importlib.import_module('ironic_nbde.cmd.clevis_luks').add_parsers(sub)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else
                        logging.WARNING, stream=sys.stderr,
                        format='%(levelname)s: %(message)s')
    try:
        return args.func(args)
    except exception.NbdeError as exc:
        sys.stderr.write('Error: %s\n' % exc)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
