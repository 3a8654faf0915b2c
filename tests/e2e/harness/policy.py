"""The NBDE deploy step the e2e flows ask for, built from live tangd's."""

from tests.e2e.harness import images

STEP = 'nbde_encrypt'
PRIORITY = 75  # after write_image (80), before tear-down (40)


def servers(tang, count=None):
    return [{'url': s.url, 'thp': s.signing_thp()}
            for s in tang[:count or len(tang)]]


def encrypt_args(tang, threshold=2, disks='all', pre_encrypted_root=True):
    args = {'tang_servers': servers(tang), 'threshold': threshold,
            'disks': disks}
    if pre_encrypted_root:
        args['root_image_passphrase'] = images.PROVISIONING_PASSPHRASE
    return args


def deploy_steps(args):
    return [{'interface': 'deploy', 'step': STEP, 'priority': PRIORITY,
             'args': args}]
