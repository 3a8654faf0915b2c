"""What each NBDE step does, over the LUKS2 layer's public API.

Every step first validates everything it can without touching a disk:
arguments, device selection, and each Tang server's advertisement against
its pinned thumbprint. Only then are devices changed, each in the
crash-safe order of :mod:`ironic_nbde.luks` (bind, prove the binding
unlocks through Tang, only then remove the old passphrase or slot).
Results carry metadata only, never a secret.
"""

import concurrent.futures
import dataclasses

from oslo_log import log

from ironic_nbde import conf
from ironic_nbde import exception
from ironic_nbde import luks
from ironic_nbde.agent import devices
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http

LOG = log.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EncryptRequest:
    """The validated arguments of ``nbde_encrypt``."""

    policy: object
    disks: object = None
    root_passphrase: str = None
    allow_data: bool = False
    luks: dict = dataclasses.field(default_factory=dict)
    recovery_jwk: dict = None


def check_servers(policy):
    """Fetch every Tang advertisement and check its pinned thumbprint.

    :raises: TangHTTPError, AdvertisementError (no disk touched yet).
    """
    client = http.Client(conf.tang.http_settings(conf.CONF))
    for server in policy.servers:
        advertisement.obtain(server['url'], thp=server['thp'],
                             adv=server.get('adv'), client=client)


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
    if failures:
        raise failures[0]
    return results


def _describe(target, binding, policy, escrow=None):
    result = dict(target.describe(), luks_uuid=binding['uuid'],
                  keyslot=binding['keyslot'], token_id=binding['token_id'],
                  **policy.describe())
    if escrow:
        result['recovery'] = escrow
    return result


def encrypt(inventory, request):
    """The ``nbde_encrypt`` deploy step.

    :returns: {'devices': [per-device metadata]}.
    """
    if request.disks is None and request.root_passphrase is None:
        raise exception.InvalidStepArgument(
            arg='disks', reason='nothing to encrypt: give disks and/or '
                                'root_image_passphrase')
    root = (devices.root_luks_partition(inventory)
            if request.root_passphrase else None)
    data = (devices.select_data_disks(inventory, request.disks,
                                      request.allow_data)
            if request.disks is not None else [])
    check_servers(request.policy)
    pin, config = request.policy.pin()

    def secure(target):
        if target is root:
            passphrase = request.root_passphrase.encode()
            luks.rekey(target.device, passphrase)
        else:
            passphrase = luks.format_device(
                target.device, allow_data=request.allow_data,
                **request.luks)
        binding = luks.bind(target.device, pin, config,
                            passphrase=passphrase)
        luks.verify(target.device, binding['keyslot'])
        escrow = None
        if request.recovery_jwk:
            escrow = luks.escrow_recovery(target.device, passphrase,
                                          request.recovery_jwk)
        luks.remove_passphrase(target.device, passphrase)
        return _describe(target, binding, request.policy, escrow)

    targets = ([root] if root else []) + data
    return {'devices': _on_each('encryption', targets, secure)}


def crypto_erase(inventory, selector=None):
    """The ``nbde_crypto_erase`` clean step.

    :returns: {'devices': [{device, disk, ..., luks_uuid}]} of the erased.
    """
    def erase(target):
        uuid = luks.luks_info(target.device)['uuid']
        luks.crypto_erase(target.device)
        return dict(target.describe(), luks_uuid=uuid, erased=True)

    return {'devices': _on_each('crypto-erase',
                                devices.luks_devices(inventory, selector),
                                erase)}


def rebind(inventory, policy, selector=None):
    """The ``nbde_rebind`` service step: add a binding to the new policy,
    prove it unlocks, only then remove the old clevis bindings.

    :returns: {'devices': [per-device metadata of the new binding]}.
    """
    targets = [t for t in devices.luks_devices(inventory, selector)
               if luks.list_bindings(t.device)]
    if not targets:
        raise exception.DeviceSelectionError(
            selector='for rebind', reason='no LUKS device with a clevis '
                                          'binding was found')
    check_servers(policy)
    pin, config = policy.pin()

    def move(target):
        binding = luks.rebind(target.device, pin, config)
        return _describe(target, binding, policy)

    return {'devices': _on_each('rebind', targets, move)}
