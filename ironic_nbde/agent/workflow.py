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

"""What each NBDE step does, over the LUKS2 layer's public API.

Every step first validates everything it can without touching a disk:
arguments, device selection, and each Tang server's advertisement against
its pinned thumbprint. That check is the step's one Tang session: the
verified advertisements are bound inline into every device of the step
(one request per server, and every device bound to the same keys even if a
server rotates meanwhile). Only then are devices changed, each through one
:class:`ironic_nbde.luks.Volume` in the crash-safe order of
:mod:`ironic_nbde.luks` (bind, prove the binding unlocks through one Tang
recovery, only then remove the old passphrase or slot). Results carry
metadata only (:func:`ironic_nbde.contract.record.device_entry`), never a
secret.
"""

import concurrent.futures
import dataclasses

from oslo_log import log

from ironic_nbde import conf
from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.agent import devices
from ironic_nbde.contract import policy
from ironic_nbde.contract import record
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tpm2 import tools

LOG = log.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EncryptRequest:
    """The validated arguments of ``nbde_encrypt``."""

    policy: object
    disks: object = None
    root_passphrase: str = None
    root_in_place: bool = False
    root_luks_uuid: str = None
    allow_data: bool = False
    luks: dict = dataclasses.field(default_factory=dict)
    recovery_jwk: dict = None


def tang_client():
    """A Tang HTTP client with the ``[nbde_tang]`` timeouts and retries."""
    return http.Client(conf.tang.http_settings(conf.CONF))


def check_servers(policy, client):
    """Fetch every Tang advertisement and check its pinned thumbprint.

    :returns: {url: the verified advertisement (JWS)}, to bind with
        (:meth:`~ironic_nbde.contract.policy.TangPolicy.pin`).
    :raises: TangHTTPError, AdvertisementError (no disk touched yet).
    """
    found = {}
    for server in policy.servers:
        try:
            adv = advertisement.obtain(server['url'], thp=server['thp'],
                                       adv=server.get('adv'), client=client)
        except exception.TangHTTPError as e:
            if e.status != 404:
                raise
            # tangd answers 404 for a thumbprint it does not know: name
            # the keys it does sign with instead.
            adv = advertisement.fetch(server['url'], client=client)
            advertisement.trust(adv, [server['thp']])
            raise
        found[server['url']] = adv.jws
    return found


def check_tpm(tpm2):
    """Check the node's TPM can seal to ``tpm2`` (a pin config): it is
    reachable and has the PCR bank allocated. No disk touched yet.

    :raises: TpmError naming the TPM and the cause.
    """
    if not tpm2:
        return
    banks = tools.allocated_banks()
    bank = tpm2.get('pcr_bank')
    if bank and bank not in banks:
        raise exception.TpmError(
            operation='PCR bank check', tpm=tools.tcti(),
            reason='the %s PCR bank the policy seals to is not allocated '
                   '(allocated: %s)' % (bank, ', '.join(banks) or 'none'))


def _on_each(operation, targets, func):
    """Run ``func(target)`` for every target, in parallel.

    Every device runs to its end (no half-finished device is abandoned);
    the first failure is then raised, naming its device.
    """
    if not targets:
        return []
    workers = min(len(targets), conf.CONF.nbde_agent.max_parallel)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(func, t) for t in targets]
        concurrent.futures.wait(futures)
    results, failures = [], []
    for target, future in zip(targets, futures, strict=True):
        try:
            results.append(future.result())
        except exception.NbdeError as e:
            LOG.error('%s of %s failed: %s', operation, target.device, e)
            failures.append(exception.DeviceOperationFailed(
                operation=operation, device=target.device, reason=e))
        except Exception as e:  # still name the device in the step error
            LOG.exception('%s of %s failed unexpectedly', operation,
                          target.device)
            failures.append(exception.DeviceOperationFailed(
                operation=operation, device=target.device,
                reason='%s: %s' % (type(e).__name__, e)))
    if failures:
        raise failures[0]
    return results


def _check_root_args(request):
    if request.root_in_place and request.root_passphrase is not None:
        raise exception.InvalidStepArgument(
            arg='encrypt_root_in_place', reason='a root is either '
            'pre-encrypted (root_image_passphrase) or plain, not both')
    if request.root_luks_uuid and not request.root_in_place:
        raise exception.InvalidStepArgument(
            arg='root_luks_uuid', reason='only used with '
                                         'encrypt_root_in_place')
    if (request.disks is None and request.root_passphrase is None
            and not request.root_in_place):
        raise exception.InvalidStepArgument(
            arg='disks', reason='nothing to encrypt: give disks, '
                                'root_image_passphrase and/or '
                                'encrypt_root_in_place')


def _root_target(inventory, request):
    if request.root_passphrase is not None:
        return devices.root_luks_partition(inventory)
    if request.root_in_place:
        return devices.root_plain_partition(inventory)
    return None


def encrypt(inventory, request):
    """The ``nbde_encrypt`` deploy step.

    Root (pre-encrypted image): re-key, bind, verify, escrow, remove the
    provisioning passphrase. Root (plain image, ``root_in_place``):
    encrypt in place, bind, verify, escrow, remove the temporary
    passphrase. Data disks: format, bind, verify, escrow, remove the
    temporary passphrase.

    :returns: {'devices': [per-device metadata]}.
    """
    _check_root_args(request)
    root = _root_target(inventory, request)
    data = (devices.select_data_disks(inventory, request.disks,
                                      request.allow_data)
            if request.disks is not None else [])
    client = tang_client()
    check_tpm(request.policy.tpm2)
    pin, config = request.policy.pin(check_servers(request.policy, client))

    def escrow(vol, passphrase):
        if not request.recovery_jwk:
            return None
        return luks.escrow_recovery(
            vol.device, passphrase=passphrase,
            operator_jwk=request.recovery_jwk, client=client, volume=vol)

    def secure_data(target):
        # A fresh disk: formatted already bound and proven through Tang,
        # no temporary passphrase.
        # (Its selection probed it and refused what allow_data forbids.)
        bound = luks.format_bound(target.device, pin, config,
                                  allow_data=request.allow_data,
                                  client=client, probed=True,
                                  **request.luks)
        vol = luks.Volume(target.device, client)
        return record.device_entry(target.describe(), bound.uuid,
                                   bound.binding, request.policy,
                                   escrow(vol, bound.key))

    def secure_root(target):
        vol = luks.Volume(target.device, client)
        if request.root_in_place:
            passphrase = luks.encrypt_in_place(
                target.device, uuid=request.root_luks_uuid).passphrase
        else:
            passphrase = request.root_passphrase.encode()
            luks.rekey(target.device, passphrase, client=client, volume=vol)
        binding = luks.bind(target.device, pin, config,
                            passphrase=passphrase, client=client, volume=vol)
        luks.verify(target.device, binding.keyslot, client=client,
                    volume=vol)
        escrowed = escrow(vol, passphrase)
        uuid = vol.uuid  # (known now: removing a keyslot keeps it)
        luks.remove_passphrase(target.device, passphrase, client=client,
                               volume=vol)
        return record.device_entry(target.describe(), uuid, binding,
                                   request.policy, escrowed)

    def secure(target):
        return secure_root(target) if target is root else secure_data(target)

    targets = ([root] if root else []) + data
    return {'devices': _on_each('encryption', targets, secure)}


def crypto_erase(inventory, selector=None):
    """The ``nbde_crypto_erase`` clean step.

    :returns: {'devices': [{device, disk, ..., luks_uuid}]} of the erased.
    """
    def erase(target):
        try:
            uuid = luks.luks_info(target.device)['uuid']
        except exception.UnsupportedLuksVersion:
            uuid = None  # LUKS1: erased all the same
        luks.crypto_erase(target.device)
        return record.erased_entry(target.describe(), uuid)

    return {'devices': _on_each('crypto-erase',
                                devices.luks_devices(inventory, selector),
                                erase)}


def rebind(inventory, wanted, selector=None):
    """The ``nbde_rebind`` service step.

    Per device (:func:`ironic_nbde.luks.rebind`): bind to the new policy
    (an existing binding, recovered through Tang or the TPM, authorizes
    it), prove the new binding unlocks, and only then remove every binding
    that does not match the policy. A re-run after an interruption adopts
    a working new binding instead of adding another.

    :param wanted: :class:`~ironic_nbde.contract.policy.RebindPolicy`;
        a device keeps its own TPM part unless told otherwise.
    :returns: {'devices': [per-device metadata of the new binding]}.
    """
    targets = [t for t in devices.luks_devices(inventory, selector)
               if luks.list_bindings(t.device)]
    if not targets:
        raise exception.DeviceSelectionError(
            selector='for rebind', reason='no LUKS device with a clevis '
                                          'binding was found')
    client = tang_client()
    if wanted.tpm2 != policy.KEEP:
        check_tpm(wanted.tpm2)
    advertisements = check_servers(wanted, client)

    def move(target):
        current = [b.binding for b in luks.list_bindings(target.device)]
        chosen = wanted.for_device(current)
        pin, config = chosen.pin(advertisements)
        new = luks.rebind(target.device, pin=pin, config=config,
                          client=client)
        uuid = luks.luks_info(target.device)['uuid']
        return record.device_entry(target.describe(), uuid, new, chosen)

    return {'devices': _on_each('rebind', targets, move)}
