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

"""What the ``ironic-nbde-clevis`` subcommands share."""

from ironic_nbde import exception


def pin_config(args):
    """The pin CONFIG (JSON text) and trust policy (``-y``) of a command.

    :returns: (config dict, advertisement.Trust)
    :raises: InvalidConfig when CONFIG is not JSON.
    """
    from ironic_nbde.tang import advertisement
    from ironic_nbde.tang import safejson
    try:
        config = safejson.loads(args.config, max_size=65536)
    except ValueError as exc:
        raise exception.InvalidConfig(what=args.pin,
                                      reason='configuration is malformed '
                                             '(%s)' % exc)
    return config, advertisement.Trust(trust_on_first_use=args.yes)


def tang_client(args):
    """The Tang HTTP client of a command, with its ``--deadline``."""
    import dataclasses

    from ironic_nbde.tang import http
    settings = http.Settings()
    if getattr(args, 'deadline', None):
        settings = dataclasses.replace(settings, deadline=args.deadline)
    return http.Client(settings)
