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

"""Options of the LUKS2 layer (formatting, recovery slots, commands)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('nbde_luks', title='LUKS2 options')

# Two 64 KiB metadata copies plus the keyslots area keep the data segment
# at cryptsetup's usual 16 MiB offset.
_METADATA = 65536
_KEYSLOTS = 16 * 1024 * 1024 - 2 * _METADATA

opts = [
    cfg.StrOpt('cryptsetup', default='cryptsetup',
               help='The cryptsetup executable (name or absolute path).'),
    cfg.FloatOpt('command_timeout', default=600.0, min=1.0,
                 help='Seconds after which a cryptsetup command is killed '
                      '(re-encryption of a large disk needs more: it has '
                      'no timeout).'),
    cfg.IntOpt('metadata_size', default=_METADATA,
               choices=[16384, 32768, 65536, 131072, 262144, 524288,
                        1048576, 2097152, 4194304],
               help='LUKS2 metadata area size in bytes. It cannot grow '
                    'after formatting; 64 KiB holds several multi-server '
                    'sss tokens and rebinds.'),
    cfg.IntOpt('keyslots_size', default=_KEYSLOTS, min=4096,
               help='LUKS2 keyslots area size in bytes (multiple of 4096).'),
    cfg.StrOpt('cipher', default='aes-xts-plain64',
               help='Data cipher of newly formatted devices.'),
    cfg.IntOpt('key_size', default=512, min=128,
               help='Volume key size in bits of newly formatted devices.'),
    cfg.IntOpt('recovery_pbkdf_memory', default=65536, min=32, max=4194304,
               help='argon2id memory cost (KiB) of the recovery '
                    'passphrase keyslot; bounded so that unlocking stays '
                    'cheap in an initramfs.'),
    cfg.IntOpt('recovery_iter_time', default=2000, min=1,
               help='Milliseconds of argon2id work for the recovery '
                    'passphrase keyslot.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)
