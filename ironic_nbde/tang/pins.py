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

"""Dispatch to the clevis pins by name: ``encrypt``, ``decrypt``,
``describe``. The pins supported are clevis's tang and sss, and tpm2
(:mod:`ironic_nbde.tpm2.pin`).
"""

from ironic_nbde import exception
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import jwe


def _modules():
    # Imported here: sss nests pins and so imports this module.
    from ironic_nbde.tang import sss_pin
    from ironic_nbde.tang import tang_pin
    from ironic_nbde.tpm2 import pin as tpm2_pin
    return {tang_pin.PIN: tang_pin, sss_pin.PIN: sss_pin,
            tpm2_pin.PIN: tpm2_pin}


def names():
    return sorted(_modules())


def _module(pin):
    try:
        return _modules()[pin]
    except (KeyError, TypeError):
        raise exception.InvalidConfig(
            what='pin', reason='unsupported pin %r (supported: %s)'
                               % (pin, ', '.join(names())))


def validate_config(pin, config):
    """Check a pin config without any network I/O."""
    _module(pin).validate_config(config)


def encrypt(pin, config, plaintext, policy=advertisement.PINNED_ONLY,
            client=None):
    """Encrypt ``plaintext`` (bytes) with a clevis pin.

    :param pin: ``tang``, ``sss`` or ``tpm2``.
    :param config: the pin's config, as the clevis CLI takes it.
    :param policy: :class:`advertisement.Trust`.
    :param client: an :class:`http.Client` (default settings if None).
    :returns: the compact JWE (str).
    """
    return _module(pin).encrypt(config, plaintext, policy, client)


def decrypt(text, client=None):
    """Decrypt a clevis compact JWE (str/bytes) made by any supported pin."""
    compact = text if isinstance(text, jwe.Compact) else jwe.parse(text)
    return _module(compact.pin).decrypt(compact, client)


def describe(text):
    """Metadata of a binding (URLs, thumbprints, threshold); no secret."""
    compact = text if isinstance(text, jwe.Compact) else jwe.parse(text)
    return dict(_module(compact.pin).binding(compact), pin=compact.pin)
