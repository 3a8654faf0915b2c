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

"""The NBDE steps: names, interface, priorities and arguments.

Ironic rejects step arguments not declared in ``argsinfo``; the agent
checks the same declarations again (``ironic_nbde.agent.params``) so a step
run through ``--deploy-steps`` is held to the same rules. The CLI builds
deploy templates from the same names and priority bounds.

What ``"all"`` selects differs by step, on purpose:

- ``nbde_encrypt``: every data disk, i.e. every disk **but** the root disk
  (the root is encrypted only through ``root_image_passphrase`` or
  ``encrypt_root_in_place``);
- ``nbde_crypto_erase`` and ``nbde_rebind``: every LUKS device of every
  disk, the root disk **included** (the same as giving no selector).
"""

import dataclasses

# Every NBDE step is an agent step, proxied by the deploy interface.
INTERFACE = 'deploy'
ALL = 'all'
# What "all" selects.
DATA_DISKS, EVERY_DISK = 'data disks', 'every disk'


@dataclasses.dataclass(frozen=True)
class Step:
    """One NBDE step as Ironic, the agent and the CLI know it."""

    name: str
    kind: str          # deploy, clean or service
    all_selects: str   # DATA_DISKS or EVERY_DISK
    argsinfo: dict

    @property
    def record_name(self):
        """How the binding record names the step that wrote it."""
        return '%s.%s' % (self.kind, self.name)

    def as_agent_step(self, priority=0, abortable=False):
        """The step as IPA's ``get_*_steps`` returns it."""
        return {'step': self.name, 'priority': priority,
                'interface': INTERFACE, 'reboot_requested': False,
                'abortable': abortable, 'argsinfo': self.argsinfo}

    def as_template_step(self, args, priority):
        """The step as a deploy template or ``--deploy-steps`` holds it."""
        return {'interface': INTERFACE, 'step': self.name, 'args': args,
                'priority': priority}


# Priorities in a deploy template. write_image runs at 80 and the agent is
# torn down at 40: nbde_encrypt needs the image written and the agent up;
# nbde_check_tang runs before write_image, so a Tang server that is down
# or a thumbprint nothing matches fails the deploy before any disk is
# written.
ENCRYPT_PRIORITY_MIN, ENCRYPT_PRIORITY_MAX = 41, 79
ENCRYPT_PRIORITY_DEFAULT = 60
CHECK_PRIORITY = 90

_TANG_SERVERS = {
    'description': 'Tang servers to bind to: a list of objects {"url": '
                   'URL, "thp": thumbprint of a trusted signing key (S256 '
                   'or S1; required), "adv": the advertisement JWS '
                   '(optional)}.',
    'required': True,
}
_THRESHOLD = {
    'description': 'How many of the Tang servers must answer to unlock '
                   '(Shamir t-of-n), 1 to the number of servers. '
                   'Default: 1.',
    'required': False,
}
_TANG_SERVERS_OR_TPM = dict(
    _TANG_SERVERS, required=False,
    description=_TANG_SERVERS['description'] + ' Required unless tpm2 is '
                                               'given.')
_FACTOR_THRESHOLD = {
    'description': 'With both tpm2 and tang_servers: how many of the two '
                   'factors (the TPM, the Tang part) must be met to '
                   'unlock, 1 or 2. Default: 2 (the disk opens only on '
                   'its own machine and its own network).',
    'required': False,
}
_PCR_NOTE = ('"pcr_ids" only from 0 and 2 (firmware and option-ROM code, '
             'measured alike in the deploy ramdisk and the instance); '
             'default: no PCRs, bound to the TPM alone.')
_HINTS = ('root device hint style objects (size, model, vendor, serial, '
          'wwn, rotational, name, by_path, hctl), one or a list.')

ENCRYPT = Step('nbde_encrypt', 'deploy', DATA_DISKS, {
    'tang_servers': _TANG_SERVERS_OR_TPM,
    'threshold': _THRESHOLD,
    'tpm2': {
        'description': "Bind to the node's TPM 2.0 as well (clevis tpm2 "
                       'pin): true, or {"pcr_bank", "pcr_ids", "hash", '
                       '"key"}. ' + _PCR_NOTE + ' Default: false.',
        'required': False,
    },
    'factor_threshold': _FACTOR_THRESHOLD,
    'disks': {
        'description': 'Data disks to format with LUKS2 and bind: "all" '
                       '(every disk except the root disk) or ' + _HINTS
                       + ' The root disk, and any disk holding an ESP, '
                       '/boot or config drive, is never selected.',
        'required': False,
    },
    'root_image_passphrase': {
        'description': 'The provisioning passphrase published with a '
                       'pre-encrypted whole-disk image. When given, the '
                       'LUKS2 partition of the root disk is re-keyed, '
                       'bound, verified, and this passphrase removed.',
        'required': False,
    },
    'encrypt_root_in_place': {
        'description': 'The image\'s root partition is a plain ext2/3/4 '
                       'or XFS file system that ends at least 32 MiB '
                       'before its partition does: encrypt it in place '
                       'as LUKS2 (offline cryptsetup reencrypt), then '
                       'bind and verify it. Not with '
                       'root_image_passphrase. Default: false.',
        'required': False,
    },
    'root_luks_uuid': {
        'description': 'With encrypt_root_in_place: the LUKS UUID to give '
                       'the root volume, the one the image\'s crypttab '
                       'names. Default: a random UUID.',
        'required': False,
    },
    'allow_data': {
        'description': 'Format selected data disks even when they hold a '
                       'partition table or file system (their data is '
                       'lost). Default: [nbde_agent]allow_data_default.',
        'required': False,
    },
    'luks': {
        'description': 'LUKS2 format options for data disks: {"cipher", '
                       '"key_size", "sector_size", "label"}.',
        'required': False,
    },
    'recovery_jwk': {
        'description': 'An operator public JWK (EC or RSA). When given, '
                       'each volume gets a recovery passphrase whose JWE '
                       'encrypted to this key is returned in the result.',
        'required': False,
    },
})

CHECK_TANG = Step('nbde_check_tang', 'deploy', DATA_DISKS, {
    'tang_servers': _TANG_SERVERS,
    'threshold': _THRESHOLD,
})

CRYPTO_ERASE = Step('nbde_crypto_erase', 'clean', EVERY_DISK, {
    'disks': {
        'description': 'Limit crypto-erase to LUKS devices on these disks: '
                       '"all" (every disk, the root disk included) or '
                       + _HINTS + ' Default: every disk of the node, the '
                       'root disk included.',
        'required': False,
    },
})

REBIND = Step('nbde_rebind', 'service', EVERY_DISK, {
    'tang_servers': _TANG_SERVERS_OR_TPM,
    'threshold': _THRESHOLD,
    'tpm2': {
        'description': "The TPM part of the new bindings: absent keeps "
                       "each device's own (or none), false drops it, true "
                       'or {"pcr_bank", "pcr_ids", "hash", "key"} binds to '
                       "the node's TPM with that policy. " + _PCR_NOTE,
        'required': False,
    },
    'factor_threshold': dict(_FACTOR_THRESHOLD, description=_FACTOR_THRESHOLD[
        'description'].replace('Default: 2', "Default: the device's "
                               'current one, else 2')),
    'disks': {
        'description': 'Limit the rebind to LUKS devices on these disks: '
                       '"all" (every disk, the root disk included) or '
                       + _HINTS + ' Default: every clevis-bound device.',
        'required': False,
    },
})

STEPS = (ENCRYPT, CHECK_TANG, CRYPTO_ERASE, REBIND)
BY_NAME = {s.name: s for s in STEPS}
