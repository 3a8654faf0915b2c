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

"""The Tang policy of a binding: servers with pinned thumbprints, and a
threshold. Validated here, once, for every package: the agent's step
arguments, the CLI's templates, the sss pin's config and the record."""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.contract import args as _args
from ironic_nbde.tang import pins

# Caps: a policy has few servers (and a record stores each).
MAX_SERVERS = 16
_SERVER_KEYS = frozenset({'url', 'thp', 'adv'})


def threshold_problem(threshold, count, of='Tang servers'):
    """Why ``threshold`` is not a valid t of ``count`` shares, or None.

    The one rule, for step arguments, templates, sss configs and records:
    an integer (not a boolean) from 1 to ``count``.
    """
    if (not isinstance(threshold, int) or isinstance(threshold, bool)
            or not 1 <= threshold <= count):
        return 'must be an integer from 1 to the number of %s (%d), got %s' \
            % (of, count, _args.shown(threshold))
    return None


@dataclasses.dataclass(frozen=True)
class TangPolicy:
    """Tang servers (each with a pinned thumbprint) and the threshold."""

    servers: tuple
    threshold: int

    def pin(self, advertisements=None):
        """The clevis pin and config: ``tang`` for one server, else sss.

        :param advertisements: {url: JWS} already fetched and verified
            (the step's one Tang session): each server's config then
            carries its advertisement inline and binding needs no request.
        """
        found = advertisements or {}
        servers = [dict(s, adv=found[s['url']]) if s['url'] in found
                   else dict(s) for s in self.servers]
        if len(servers) == 1:
            return 'tang', servers[0]
        return 'sss', {'t': self.threshold, 'pins': {'tang': servers}}

    def describe(self):
        """Metadata only: URLs, thumbprints, threshold."""
        return {'tang': [{'url': s['url'], 'thp': s['thp']}
                         for s in self.servers],
                'threshold': self.threshold}

    def arguments(self):
        """The step arguments that carry this policy."""
        return {'tang_servers': [dict(s) for s in self.servers],
                'threshold': self.threshold}


def tang_policy(servers, threshold=None):
    """Validate ``tang_servers`` and ``threshold``.

    :returns: :class:`TangPolicy`.
    :raises: InvalidStepArgument naming the argument and the reason.
    """
    if not isinstance(servers, list) or not servers:
        raise _args.bad('tang_servers', 'must be a non-empty list of '
                                        '{url, thp, adv?} objects')
    if len(servers) > MAX_SERVERS:
        raise _args.bad('tang_servers', 'at most %d servers', MAX_SERVERS)
    checked = []
    for index, server in enumerate(servers):
        where = 'tang_servers[%d]' % index
        if not isinstance(server, dict):
            raise _args.bad(where, 'must be an object {url, thp, adv?}')
        unknown = sorted(str(k) for k in set(server) - _SERVER_KEYS)
        if unknown:
            raise _args.bad(where, 'unknown key(s) %s', ', '.join(unknown))
        if not isinstance(server.get('thp'), str) or not server['thp']:
            raise _args.bad(where, "'thp' (the pinned thumbprint of a "
                                   "signing key) is required")
        if 'adv' in server and not isinstance(server['adv'], dict):
            raise _args.bad(where, "'adv' must be the advertisement JWS "
                                   "object")
        try:
            pins.validate_config('tang', server)
        except exception.InvalidConfig as e:
            raise _args.bad(where, '%s', e)
        checked.append(dict(server))
    urls = [s['url'] for s in checked]
    if len(set(urls)) != len(urls):
        raise _args.bad('tang_servers', 'a server URL is listed twice')
    if threshold is None:
        threshold = 1
    problem = threshold_problem(threshold, len(checked))
    if problem:
        raise exception.InvalidStepArgument(arg='threshold', reason=problem)
    return TangPolicy(servers=tuple(checked), threshold=threshold)


# PCRs a key sealed in the deploy ramdisk may be bound to: measured the
# same when the node boots the ramdisk (virtual media, PXE) and when it
# boots its own disk. Every other PCR differs between the two boot paths,
# or may, and would lock the disk out at its first boot.
SAFE_PCRS = {0: 'the firmware code (SRTM)',
             2: 'the option-ROM code of the machine\'s adapters'}
_UNSAFE_PCRS = {
    1: 'it holds the boot-order variables, which Ironic changes between '
       'the ramdisk boot and the disk boot',
    3: 'it holds option-ROM configuration and data, which a boot-device '
       'change may alter',
    4: 'it measures the boot manager code, which differs between the '
       'ramdisk\'s loader and the disk\'s own bootloader',
    5: 'it measures the GPT and boot manager data, which differ between '
       'the ramdisk boot and the disk boot',
    6: 'it holds platform-specific events (resume, wake)',
    7: 'it measures the Secure Boot authority of the loader, which '
       'differs between the ramdisk\'s loader and the instance\'s',
}
FACTORS = 2  # the TPM and the Tang part


def _pcr_problem(pcr):
    reason = _UNSAFE_PCRS.get(
        pcr, 'it measures the operating system or its bootloader, which '
             'differ between the deploy ramdisk and the instance')
    return ('PCR %d would lock the disk out at its first boot: %s (the '
            'deploy ramdisk can seal only to PCRs %s)'
            % (pcr, reason, ', '.join(str(p) for p in sorted(SAFE_PCRS))))


def tpm2_config(value, arg='tpm2'):
    """Validate a ``tpm2`` step argument.

    :param value: None/false (no TPM), true (the TPM, no PCR policy), or
        {pcr_bank, pcr_ids, hash, key}; ``pcr_ids`` only from
        :data:`SAFE_PCRS`.
    :returns: None, or the canonical tpm2 pin config (``pcr_ids`` a list).
    :raises: InvalidStepArgument naming the argument and the reason.
    """
    from ironic_nbde.tpm2 import pin as tpm2_pin
    if value is None or value is False:
        return None
    if value is True:
        value = {}
    if not isinstance(value, dict):
        raise _args.bad(arg, 'must be true, false or an object {pcr_bank, '
                             'pcr_ids, hash, key}, got %s', value)
    try:
        config = tpm2_pin.normalize(value)
    except exception.InvalidConfig as e:
        raise exception.InvalidStepArgument(arg=arg,
                                            reason=e.kwargs.get('reason'))
    for pcr in config.get('pcr_ids', ()):
        if pcr not in SAFE_PCRS:
            raise exception.InvalidStepArgument(arg=arg,
                                                reason=_pcr_problem(pcr))
    return config


def _factor_threshold(value, both):
    if value is None:
        return FACTORS if both else None
    if not both:
        raise _args.bad('factor_threshold', 'only with both tpm2 and '
                                            'tang_servers')
    problem = threshold_problem(value, FACTORS, of='factors (tpm2, tang)')
    if problem:
        raise exception.InvalidStepArgument(arg='factor_threshold',
                                            reason=problem)
    return value


@dataclasses.dataclass(frozen=True)
class BindingPolicy:
    """What a binding must satisfy: a Tang part (:class:`TangPolicy`),
    the node's TPM (a tpm2 pin config), or both with a threshold over the
    two factors."""

    tang: TangPolicy = None
    tpm2: dict = None
    factor_threshold: int = None

    @property
    def servers(self):
        return self.tang.servers if self.tang else ()

    def pin(self, advertisements=None):
        """The clevis pin and config: tang/sss of tang as
        :meth:`TangPolicy.pin`, tpm2 alone, or
        ``sss {t: factor_threshold, pins: {tpm2, tang|sss}}``."""
        if not self.tpm2:
            return self.tang.pin(advertisements)
        if not self.tang:
            return 'tpm2', dict(self.tpm2)
        name, config = self.tang.pin(advertisements)
        return 'sss', {'t': self.factor_threshold, 'pins': {
            'tpm2': dict(self.tpm2),
            name: [config] if name == 'tang' else config}}

    def describe(self):
        """Metadata only: the record's policy fields."""
        found = self.tang.describe() if self.tang else {}
        if self.tpm2:
            found['tpm2'] = dict(self.tpm2)
        if self.tang and self.tpm2:
            found['factor_threshold'] = self.factor_threshold
        return found

    def arguments(self):
        """The step arguments that carry this policy."""
        found = self.tang.arguments() if self.tang else {}
        if self.tpm2:
            found['tpm2'] = dict(self.tpm2)
        if self.tang and self.tpm2:
            found['factor_threshold'] = self.factor_threshold
        return found

    def with_tpm2(self, tpm2, factor_threshold=None):
        """This policy's Tang part with another TPM part."""
        both = bool(self.tang and tpm2)
        return BindingPolicy(self.tang, tpm2 or None, (
            factor_threshold or FACTORS) if both else None)


def binding_policy(tang_servers=None, threshold=None, tpm2=None,
                   factor_threshold=None):
    """Validate the policy arguments of ``nbde_encrypt``.

    :returns: :class:`BindingPolicy`.
    :raises: InvalidStepArgument naming the argument and the reason.
    """
    tpm2 = tpm2_config(tpm2)
    if tang_servers is None:
        if not tpm2:
            raise _args.bad('tang_servers', 'this argument is required '
                                            'unless tpm2 is given')
        if threshold is not None:
            raise _args.bad('threshold', 'only with tang_servers')
        tang = None
    else:
        tang = tang_policy(tang_servers, threshold)
    return BindingPolicy(tang, tpm2, _factor_threshold(
        factor_threshold, bool(tang and tpm2)))


KEEP = 'keep'  # nbde_rebind without ``tpm2``: each device keeps its own


def current_tpm2(described):
    """The TPM part of a device's bindings, as described (no secret).

    :param described: the described bindings of the device
        (:func:`ironic_nbde.tang.pins.describe`).
    :returns: (tpm2 pin config, factor threshold or None), or None when
        no binding has a TPM part (a tpm2 binding, or an sss binding with
        a tpm2 child).
    """
    for binding in described:
        if binding.get('pin') == 'tpm2':
            return _without_pin(binding), None
        children = binding.get('pins') or () if binding.get(
            'pin') == 'sss' else ()
        for child in children:
            if child.get('pin') == 'tpm2':
                t = binding.get('t') if len(children) == FACTORS else None
                return _without_pin(child), t
    return None


def _without_pin(described):
    return {k: v for k, v in described.items() if k != 'pin'}


@dataclasses.dataclass(frozen=True)
class RebindPolicy:
    """The policy of ``nbde_rebind``: the new Tang part, and the TPM part
    to bind (a config), drop (None) or keep per device (:data:`KEEP`)."""

    tang: TangPolicy = None
    tpm2: object = KEEP
    factor_threshold: int = None

    @property
    def servers(self):
        return self.tang.servers if self.tang else ()

    def for_device(self, described):
        """The :class:`BindingPolicy` of one device, given its bindings."""
        tpm2, kept_t = self.tpm2, None
        if tpm2 == KEEP:
            tpm2, kept_t = current_tpm2(described) or (None, None)
        return BindingPolicy(self.tang).with_tpm2(
            tpm2, self.factor_threshold or kept_t)

    def arguments(self):
        """The ``nbde_rebind`` step arguments that carry this policy:
        no ``tpm2`` to keep each device's TPM part, false to drop it."""
        found = self.tang.arguments() if self.tang else {}
        if self.tpm2 != KEEP:
            found['tpm2'] = dict(self.tpm2) if self.tpm2 else False
        if self.factor_threshold is not None:
            found['factor_threshold'] = self.factor_threshold
        return found


def rebind_policy(tang_servers=None, threshold=None, tpm2=None,
                  factor_threshold=None):
    """Validate the policy arguments of ``nbde_rebind``.

    ``tpm2`` absent (None) keeps each device's TPM part; false drops it;
    true or an object binds to the TPM with that config.

    :returns: :class:`RebindPolicy`.
    :raises: InvalidStepArgument naming the argument and the reason.
    """
    keep = tpm2 is None
    config = None if keep else tpm2_config(tpm2)
    if tang_servers is None and not config:
        raise _args.bad('tang_servers', 'this argument is required unless '
                                        'tpm2 is given (true or an object)')
    if tang_servers is None and threshold is not None:
        raise _args.bad('threshold', 'only with tang_servers')
    tang = tang_policy(tang_servers, threshold) if tang_servers else None
    if factor_threshold is not None:
        if not tang or not (keep or config):
            raise _args.bad('factor_threshold', 'only with tang_servers '
                                                'and a TPM part (tpm2 '
                                                'given or kept)')
        _factor_threshold(factor_threshold, True)
    return RebindPolicy(tang, KEEP if keep else config, factor_threshold)
