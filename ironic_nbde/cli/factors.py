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

"""What a recorded device is bound to: Tang servers, the node's TPM, both.

Every command that reads ``node.properties['nbde']`` reads the factors of
a device through here (:func:`of`). A device entry has a Tang part
(``tang``, ``threshold``), a TPM part (``tpm2``, the tpm2 pin's public
policy) or both, then with ``factor_threshold`` (how many of the two must
be met). A TPM-only device has no ``tang`` at all.

Records may have been edited by hand: nothing here raises on a malformed
entry. A Tang server that is not an object with a string ``url`` and
``thp`` is left out (it counts as not usable), a threshold that is not an
integer is never met, and :func:`problem` says what the record grammar
(:mod:`ironic_nbde.contract.record`, the one the conductor applies)
finds wrong.

Nothing off the node can check its TPM: a valid TPM part counts as met
on the node's own machine.
"""

import dataclasses

from ironic_nbde import exception
from ironic_nbde.contract import policy
from ironic_nbde.contract import record
from ironic_nbde.tpm2 import pin as tpm2_pin


def devices(rec):
    """The device entries (objects) of a stored record; [] if it has none
    or is malformed."""
    found = rec.get('devices') if isinstance(rec, dict) else None
    if not isinstance(found, list):
        return []
    return [d for d in found[:record.MAX_DEVICES] if isinstance(d, dict)]


def tang_servers(entry, key='tang'):
    """The Tang servers of a device entry (or of step arguments, ``key``
    ``tang_servers``) that name a string url and thp."""
    found = entry.get(key)
    if not isinstance(found, list):
        return []
    return [s for s in found[:record.MAX_TANG]
            if isinstance(s, dict) and isinstance(s.get('url'), str)
            and isinstance(s.get('thp'), str)]


def tpm2_text(value):
    """A TPM part for a listing: ``pcr 0,2 sha256`` (sealed to those PCRs
    of that bank), ``yes`` (to the TPM alone), None (no TPM part), or
    ``invalid: ...``.

    :param value: a ``tpm2`` step argument (true or a config) or the
        ``tpm2`` of a device entry.
    """
    if value is None or value is False:
        return None
    if value is True:
        return 'yes'
    try:
        config = tpm2_pin.normalize(value)
    except exception.InvalidConfig as e:
        return 'invalid: %s' % e.kwargs.get('reason')
    text = ('pcr %s %s' % (','.join(str(p) for p in config['pcr_ids']),
                           config['pcr_bank'])
            if config.get('pcr_ids') else 'yes')
    unusual = ['%s %s' % (k, config[k]) for k in ('key', 'hash')
               if config[k] != tpm2_pin.DEFAULTS[k]]
    return ', '.join([text] + unusual)


def _valid_threshold(value, count):
    return policy.threshold_problem(value, count) is None


@dataclasses.dataclass(frozen=True)
class Factors:
    """The factors of one recorded device, read leniently."""

    servers: tuple          # Tang servers (objects with url and thp)
    threshold: object       # the Tang threshold as recorded; None: no Tang
    tpm2: dict              # the TPM part, canonical; None: none (or bad)
    tpm2_shown: str         # :func:`tpm2_text` of the recorded TPM part
    factor_threshold: int   # with both parts: 1 or 2 (2 when unreadable)

    @property
    def has_tang(self):
        return self.threshold is not None

    @property
    def tpm_only(self):
        """Bound to the node's TPM alone: no Tang server to check."""
        return self.tpm2 is not None and not self.has_tang

    def tang_met(self, usable):
        """Whether ``usable`` Tang servers reach the Tang threshold."""
        return (self.has_tang and isinstance(self.threshold, int)
                and not isinstance(self.threshold, bool)
                and self.threshold >= 1 and usable >= self.threshold)

    def unlocks(self, usable):
        """Whether the device unlocks on its own machine with ``usable``
        of its Tang servers usable (its TPM part counted as met)."""
        if self.tpm_only:
            return True
        if self.tpm2 is None:
            return self.tang_met(usable)
        return 1 + self.tang_met(usable) >= self.factor_threshold

    def columns(self):
        """The listing columns of the device's factors."""
        return {'tang': ['%s (%s)' % (s['url'], s['thp'])
                         for s in self.servers],
                'threshold': self.threshold,
                'tpm2': self.tpm2_shown,
                'factor_threshold': self.factor_threshold}


def of(device):
    """The :class:`Factors` of a device entry; never raises."""
    has_tang = device.get('tang') is not None
    raw = device.get('tpm2')
    tpm2 = shown = None
    if raw is not None and raw is not False:
        try:
            tpm2 = tpm2_pin.normalize(raw)
            shown = tpm2_text(tpm2)
        except exception.InvalidConfig as e:  # true, a string...
            shown = 'invalid: %s' % e.kwargs.get('reason')
    both = has_tang and tpm2 is not None
    factor_threshold = device.get('factor_threshold')
    if not both:
        factor_threshold = None
    elif not _valid_threshold(factor_threshold, policy.FACTORS):
        factor_threshold = policy.FACTORS  # unreadable: need both
    return Factors(servers=tuple(tang_servers(device)),
                   threshold=device.get('threshold', 1) if has_tang
                   else None,
                   tpm2=tpm2, tpm2_shown=shown,
                   factor_threshold=factor_threshold)


def problem(device):
    """What the record grammar finds wrong in a device entry, or None."""
    try:
        record.bound_devices({'devices': [device]})
    except exception.BindingRecordRefused as e:
        field = str(e.kwargs.get('field', ''))
        field = field.split('.', 1)[1] if '.' in field else field
        return 'field %s: %s' % (field or 'device', e.kwargs.get('reason'))
    return None
