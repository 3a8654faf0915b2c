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

"""The NBDE hardware manager: IPA's entry point into ironic-nbde.

Loaded by stevedore from ``ironic_python_agent.hardware_managers``. It
reports ``SERVICE_PROVIDER`` support so that it runs beside (never instead
of) the stock managers: it implements only its own ``nbde_*`` steps and
leaves every other call to them (disk listing included).
"""

from ironic_python_agent import errors
from ironic_python_agent import hardware
from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.agent import devices
from ironic_nbde.agent import params
from ironic_nbde.agent import workflow
from ironic_nbde.conf import CONF
from ironic_nbde.contract import policy
from ironic_nbde.contract import steps

LOG = log.getLogger(__name__)


def _translate(error_cls, step, func, *args):
    """Run ``func``; turn project errors into the IPA error of the step."""
    try:
        return func(*args)
    except exception.InvalidStepArgument as e:
        LOG.error('Step %s rejected its arguments: %s', step, e)
        raise errors.InvalidCommandParamsError(str(e))
    except exception.NbdeError as e:
        LOG.error('Step %s failed: %s', step, e)
        raise error_cls('%s: %s' % (step, e))


class NbdeHardwareManager(hardware.HardwareManager):
    """Deploy, clean and service steps for Network Bound Disk Encryption."""

    HARDWARE_MANAGER_NAME = 'NbdeHardwareManager'
    # Bump whenever a step, its priority or its arguments change.
    HARDWARE_MANAGER_VERSION = '1.3'

    def __init__(self, inventory=None):
        self.inventory = inventory or devices.Inventory()

    def evaluate_hardware_support(self):
        return hardware.HardwareSupport.SERVICE_PROVIDER

    def get_deploy_steps(self, node, ports):
        return [steps.ENCRYPT.as_agent_step(CONF.nbde_agent.encrypt_priority),
                steps.CHECK_TANG.as_agent_step()]

    def get_clean_steps(self, node, ports):
        return [steps.CRYPTO_ERASE.as_agent_step(
            CONF.nbde_agent.crypto_erase_priority)]

    def get_service_steps(self, node, ports):
        return [steps.REBIND.as_agent_step()]

    def nbde_encrypt(self, node, ports, **args):
        """Deploy step: bind the root LUKS partition and/or data disks.

        :returns: {'devices': [device entries]} as
            :func:`ironic_nbde.contract.record.device_entry` builds them
            (the layout the conductor records); no secret.
        :raises: InvalidCommandParamsError, DeploymentError.
        """
        return _translate(errors.DeploymentError, steps.ENCRYPT.name,
                          self._encrypt, args)

    def nbde_check_tang(self, node, ports, **args):
        """Deploy step: check every Tang server before any disk is written.

        Fetches each advertisement, verifies its signatures and its pinned
        thumbprint; touches no disk. Meant for priority 81-99 in a deploy
        template, i.e. before ``write_image``.

        :returns: {'nbde_check': {'tang': [{url, thp}], 'threshold': t}}
        :raises: InvalidCommandParamsError, DeploymentError.
        """
        return _translate(errors.DeploymentError, steps.CHECK_TANG.name,
                          self._check, args)

    def nbde_crypto_erase(self, node, ports, **args):
        """Clean step: destroy every keyslot of the node's LUKS devices."""
        return _translate(errors.CleaningError, steps.CRYPTO_ERASE.name,
                          self._erase, args)

    def nbde_rebind(self, node, ports, **args):
        """Service step: move every clevis binding to a new policy (Tang
        servers; the TPM part kept, replaced or dropped)."""
        return _translate(errors.ServicingError, steps.REBIND.name,
                          self._rebind, args)

    def _encrypt(self, args):
        params.check_known(args, steps.ENCRYPT.argsinfo)
        request = workflow.EncryptRequest(
            policy=policy.binding_policy(
                args.get('tang_servers'), args.get('threshold'),
                args.get('tpm2'), args.get('factor_threshold')),
            disks=params.disk_selector(args.get('disks')),
            root_passphrase=params.passphrase(
                args.get('root_image_passphrase'), 'root_image_passphrase'),
            root_in_place=params.boolean(args.get('encrypt_root_in_place'),
                                         'encrypt_root_in_place'),
            root_luks_uuid=params.luks_uuid(args.get('root_luks_uuid'),
                                            'root_luks_uuid'),
            allow_data=params.boolean(args.get('allow_data'), 'allow_data',
                                      CONF.nbde_agent.allow_data_default),
            luks=params.luks_options(args.get('luks')),
            recovery_jwk=params.recovery_jwk(args.get('recovery_jwk')))
        return workflow.encrypt(self.inventory, request)

    def _check(self, args):
        params.check_known(args, steps.CHECK_TANG.argsinfo)
        tang = policy.tang_policy(args['tang_servers'],
                                  args.get('threshold'))
        workflow.check_servers(tang, workflow.tang_client())
        return {'nbde_check': tang.describe()}

    def _erase(self, args):
        params.check_known(args, steps.CRYPTO_ERASE.argsinfo)
        return workflow.crypto_erase(
            self.inventory, params.disk_selector(args.get('disks')))

    def _rebind(self, args):
        params.check_known(args, steps.REBIND.argsinfo)
        wanted = policy.rebind_policy(
            args.get('tang_servers'), args.get('threshold'),
            args.get('tpm2'), args.get('factor_threshold'))
        return workflow.rebind(self.inventory, wanted,
                               params.disk_selector(args.get('disks')))
