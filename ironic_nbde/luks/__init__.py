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

"""The LUKS2 side of NBDE: format, encrypt in place, bind, verify, unbind,
rebind, remove a passphrase, re-key, recovery escrow and crypto-erase of
block devices.

Every cryptsetup command goes through :mod:`ironic_nbde.luks.cryptsetup`
(secrets on stdin only), over the exec edge :mod:`ironic_nbde.commands`.
A step passes one :class:`Volume` per device to the operations it runs.
Passphrases are ``bytes`` kept in memory; nothing here logs, returns in
metadata or raises with a secret. Each operation leaves the
device with a working keyslot whatever step it is interrupted at, and a
re-run converges (see :mod:`ironic_nbde.luks.staged` and
:mod:`ironic_nbde.luks.orphans`).
"""

from ironic_nbde.luks.bindings import Binding
from ironic_nbde.luks.bindings import bind
from ironic_nbde.luks.bindings import list_bindings
from ironic_nbde.luks.bindings import unbind
from ironic_nbde.luks.erase import crypto_erase
from ironic_nbde.luks.escrow import escrow_recovery
from ironic_nbde.luks.format import Bound
from ironic_nbde.luks.format import Formatted
from ironic_nbde.luks.format import existing_data
from ironic_nbde.luks.format import format_bound
from ironic_nbde.luks.format import format_device
from ironic_nbde.luks.header import luks_info
from ironic_nbde.luks.inplace import encrypt_in_place
from ironic_nbde.luks.passphrase import remove_passphrase
from ironic_nbde.luks.rebind import rebind
from ironic_nbde.luks.rekey import rekey
from ironic_nbde.luks.verify import recover
from ironic_nbde.luks.verify import verify
from ironic_nbde.luks.volume import Volume

__all__ = [
    'Binding', 'Bound', 'Formatted', 'Volume', 'bind', 'crypto_erase',
    'encrypt_in_place', 'escrow_recovery', 'existing_data', 'format_bound',
    'format_device', 'list_bindings', 'luks_info', 'rebind',
    'recover', 'rekey', 'remove_passphrase', 'unbind', 'verify',
]
