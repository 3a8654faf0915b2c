"""The steps the NBDE hardware manager offers, with their arguments.

Ironic rejects step arguments not declared in ``argsinfo``; the step
methods check the same declarations again (see :mod:`params`) so a step
run through ``--deploy-steps`` is held to the same rules.
"""

from ironic_nbde.conf import CONF

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
_SELECTOR = ('"all" (every disk except the root disk) or root device '
             'hint style objects (size, model, vendor, serial, wwn, '
             'rotational, name, by_path, hctl), one or a list. ')

ENCRYPT_ARGSINFO = {
    'tang_servers': _TANG_SERVERS,
    'threshold': _THRESHOLD,
    'disks': {
        'description': 'Data disks to format with LUKS2 and bind: '
                       + _SELECTOR + 'The root disk, and any disk holding '
                       'an ESP, /boot or config drive, is never selected.',
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
}

CHECK_ARGSINFO = {
    'tang_servers': _TANG_SERVERS,
    'threshold': _THRESHOLD,
}
# A deploy template runs nbde_check_tang before write_image (80), so a
# Tang server that is down or a thumbprint that nothing matches fails the
# deploy before any disk is written.
CHECK_TEMPLATE_PRIORITY = 90

ERASE_ARGSINFO = {
    'disks': {
        'description': 'Limit crypto-erase to LUKS devices on these disks: '
                       + _SELECTOR + 'Default: every disk of the node, '
                       'the root disk included.',
        'required': False,
    },
}

REBIND_ARGSINFO = {
    'tang_servers': _TANG_SERVERS,
    'threshold': _THRESHOLD,
    'disks': {
        'description': 'Limit the rebind to LUKS devices on these disks: '
                       + _SELECTOR + 'Default: every clevis-bound device.',
        'required': False,
    },
}


def _step(name, priority, interface, argsinfo, abortable=False):
    return {'step': name, 'priority': priority, 'interface': interface,
            'reboot_requested': False, 'abortable': abortable,
            'argsinfo': argsinfo}


def deploy_steps():
    return [_step('nbde_encrypt', CONF.nbde_agent.encrypt_priority,
                  'deploy', ENCRYPT_ARGSINFO),
            _step('nbde_check_tang', 0, 'deploy', CHECK_ARGSINFO)]


def clean_steps():
    return [_step('nbde_crypto_erase', CONF.nbde_agent.crypto_erase_priority,
                  'deploy', ERASE_ARGSINFO)]


def service_steps():
    return [_step('nbde_rebind', 0, 'deploy', REBIND_ARGSINFO)]
