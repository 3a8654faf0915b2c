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

"""Ironic deploy templates that run ``nbde_encrypt``.

A template is selected by a trait: its name must be a valid custom trait
(``CUSTOM_`` followed by upper-case letters, digits and underscores) and a
flavor requiring that trait (or an instance trait) adds its steps to the
deploy. ``nbde_check_tang`` runs first, before ``write_image`` (priority
80), so a Tang server that is down or a thumbprint no server matches fails
the deploy before any disk is written; ``nbde_encrypt`` must run after
``write_image`` and before the agent is torn down (40): any priority from
41 to 79. A template bound to the node's TPM alone has no Tang server and
no ``nbde_check_tang``. Step arguments hold the policy only: Tang URLs
with pinned thumbprints, threshold, the TPM part's public policy
(``tpm2``, ``factor_threshold``), disk selector, the operator's PUBLIC
recovery key. Never a secret: Ironic stores and shows them.
"""

import json
import re

from jwcrypto import common as jwc
from jwcrypto import jwk as jwcrypto_jwk

from ironic_nbde import exception
from ironic_nbde.cli import factors
from ironic_nbde.cli import keyfile
from ironic_nbde.contract import policy
from ironic_nbde.contract import steps

INTERFACE = steps.INTERFACE
STEP = steps.ENCRYPT.name
MIN_PRIORITY = steps.ENCRYPT_PRIORITY_MIN
MAX_PRIORITY = steps.ENCRYPT_PRIORITY_MAX
DEFAULT_PRIORITY = steps.ENCRYPT_PRIORITY_DEFAULT
_TRAIT = re.compile(r'^CUSTOM_[A-Z0-9_]+$')
_TRAIT_MAX = 255


def check_name(name):
    """:raises: InvalidTemplate unless ``name`` is a valid custom trait."""
    if (not isinstance(name, str) or len(name) > _TRAIT_MAX
            or not _TRAIT.match(name)):
        raise exception.InvalidTemplate(
            name=repr(name), reason='the name is the trait a flavor '
            'requires, so it must be CUSTOM_ followed by upper-case '
            'letters, digits or underscores (at most %d characters)'
            % _TRAIT_MAX)
    return name


def flavor_command(name):
    """The command that makes a flavor select this template."""
    return ('openstack flavor set --property trait:%s=required FLAVOR'
            % name)


def parse_disks(text):
    """``all`` or JSON device hints (an object or a list of objects)."""
    if text is None or text == 'all':
        return text
    try:
        value = json.loads(text)
    except ValueError:
        raise exception.InvalidTemplate(
            name='--disks', reason='expected "all" or JSON device hints '
            'such as \'{"serial": "S1"}\' or \'[{"size": ">= 100"}]\'')
    if not isinstance(value, (dict, list)) or not value:
        raise exception.InvalidTemplate(
            name='--disks', reason='device hints must be a non-empty '
            'object or list')
    return value


def load_public_jwk(path):
    """The operator's public recovery key (JWK or PEM file) as a dict.

    :raises: InvalidTemplate if unreadable, not EC/RSA, or private.
    """
    try:
        key = keyfile.read(path)
    except (OSError, ValueError) as e:
        raise exception.InvalidTemplate(
            name='--recovery-key', reason='cannot read %s: %s' % (
                path, type(e).__name__))
    if key.has_private:
        raise exception.InvalidTemplate(
            name='--recovery-key', reason='%s holds a PRIVATE key; give '
            'the public key (keep the private one offline)' % path)
    if key.get('kty') not in ('EC', 'RSA'):
        raise exception.InvalidTemplate(
            name='--recovery-key', reason='need an EC or RSA key')
    return key.export_public(as_dict=True)


_OPTION = {'tang_servers': '--tang', 'threshold': '--threshold',
           'tpm2': '--tpm2', 'factor_threshold': '--factor-threshold'}


def _invalid(e):
    """An InvalidStepArgument as the InvalidTemplate naming the option."""
    arg = str(e.kwargs.get('arg', ''))
    return exception.InvalidTemplate(name=_OPTION.get(arg.split('[')[0],
                                                      arg),
                                     reason=e.kwargs.get('reason'))


def tpm2_arg(wanted=None, pcr_ids=None, pcr_bank=None):
    """The ``tpm2`` step argument of the CLI's TPM options, checked by the
    rules the agent applies (:func:`policy.tpm2_config`) before anything
    is fetched or written.

    :param wanted: ``--tpm2`` (True), ``--no-tpm2`` (False) or neither
        (None); ``--pcr-ids``/``--pcr-bank`` imply ``--tpm2``.
    :returns: None, False, True or {pcr_ids, pcr_bank?}.
    :raises: InvalidTemplate naming the option.
    """
    if pcr_ids is None and pcr_bank is None:
        return wanted
    if wanted is False:
        raise exception.InvalidTemplate(
            name='--no-tpm2', reason='not with --pcr-ids or --pcr-bank')
    if pcr_ids is None:
        raise exception.InvalidTemplate(
            name='--pcr-bank', reason='only with --pcr-ids (without PCRs '
            'no bank is read)')
    value = {'pcr_ids': pcr_ids}
    if pcr_bank is not None:
        value['pcr_bank'] = pcr_bank
    try:
        policy.tpm2_config(value)
    except exception.InvalidStepArgument as e:
        reason = e.kwargs.get('reason')
        raise exception.InvalidTemplate(
            name='--pcr-bank' if "'pcr_bank'" in str(reason)
            else '--pcr-ids', reason=reason)
    return value


def _arguments(validate, *args):
    """The step arguments of ``validate(*args)``'s policy.

    :raises: InvalidTemplate naming the option.
    """
    try:
        return validate(*args).arguments()
    except exception.InvalidStepArgument as e:
        raise _invalid(e)


def policy_args(servers=None, threshold=None, tpm2=None,
                factor_threshold=None):
    """The ``nbde_encrypt`` step arguments of a pinned policy, validated
    by the same rules the agent applies
    (:func:`ironic_nbde.contract.policy.binding_policy`)."""
    return _arguments(policy.binding_policy, servers, threshold, tpm2,
                      factor_threshold)


def rebind_args(servers=None, threshold=None, tpm2=None,
                factor_threshold=None):
    """The ``nbde_rebind`` step arguments (``tpm2`` None: each device
    keeps its TPM part; False: drop it), validated as the agent does
    (:func:`ironic_nbde.contract.policy.rebind_policy`)."""
    return _arguments(policy.rebind_policy, servers, threshold, tpm2,
                      factor_threshold)


def encrypt_args(servers=None, threshold=None, disks=None,
                 root_image_passphrase=None, recovery_jwk=None, tpm2=None,
                 factor_threshold=None):
    """The ``nbde_encrypt`` step arguments for a pinned policy."""
    if disks is None and root_image_passphrase is None:
        raise exception.InvalidTemplate(
            name='arguments', reason='nothing to encrypt: give --disks '
            'and/or --root-image-passphrase')
    args = dict(policy_args(servers, threshold, tpm2, factor_threshold),
                disks=disks, root_image_passphrase=root_image_passphrase,
                recovery_jwk=recovery_jwk)
    return {k: v for k, v in args.items() if v is not None}


def build(name, args, priority=DEFAULT_PRIORITY):
    """The deploy template body for Ironic's API."""
    check_name(name)
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise exception.InvalidTemplate(
            name=name, reason='priority must be from %d to %d (after '
            'write_image, before the agent is torn down)'
            % (MIN_PRIORITY, MAX_PRIORITY))
    check_args = {k: args[k] for k in steps.CHECK_TANG.argsinfo
                  if k in args}
    # A TPM-only template has no Tang server to check.
    found = [steps.CHECK_TANG.as_template_step(
        check_args, steps.CHECK_PRIORITY)] if args.get('tang_servers') \
        else []
    return {'name': name,
            'steps': found + [steps.ENCRYPT.as_template_step(args,
                                                             priority)],
            'extra': {'ironic_nbde': {'version': 1}}}


def nbde_step(template):
    """The ``nbde_encrypt`` step of a template (dict or SDK object)."""
    steps = (template.get('steps') if isinstance(template, dict)
             else template.steps) or ()
    return next((s for s in steps if s.get('interface') == INTERFACE
                 and s.get('step') == STEP), None)


def describe(name, step, uuid=None):
    """One listing row for a template's ``nbde_encrypt`` step (whoever
    wrote it: malformed arguments show as such, never raise)."""
    args = step.get('args')
    args = args if isinstance(args, dict) else {}
    servers = factors.tang_servers(args, 'tang_servers')
    return {'name': name, 'uuid': uuid, 'priority': step.get('priority'),
            'tang': ['%s (%s)' % (s['url'], s['thp']) for s in servers],
            'threshold': args.get('threshold', 1) if 'tang_servers' in args
            else None,
            'tpm2': factors.tpm2_text(args.get('tpm2')),
            'factor_threshold': args.get('factor_threshold', policy.FACTORS
                                         if args.get('tpm2') and servers
                                         else None),
            'disks': args.get('disks'),
            'root': 'root_image_passphrase' in args,
            'recovery_key': _thumbprint(args.get('recovery_jwk'))}


def _thumbprint(key):
    if not key:
        return None
    try:
        return jwcrypto_jwk.JWK(**key).thumbprint()
    except (jwc.JWException, ValueError, TypeError):  # hand-written
        return 'invalid'
