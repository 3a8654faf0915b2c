"""What the ``ironic-nbde-clevis`` subcommands share."""

import json

from ironic_nbde import exception


def pin_config(args):
    """The pin CONFIG (JSON text) and trust policy (``-y``) of a command.

    :returns: (config dict, advertisement.Trust)
    :raises: InvalidConfig when CONFIG is not JSON.
    """
    from ironic_nbde.tang import advertisement
    try:
        config = json.loads(args.config)
    except ValueError:
        raise exception.InvalidConfig(what=args.pin,
                                      reason='configuration is malformed '
                                             '(not JSON)')
    return config, advertisement.Trust(trust_on_first_use=args.yes)
