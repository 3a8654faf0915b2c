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

"""Post-step hooks: record, update and clear ``node.properties['nbde']``.

Ironic calls a post-step hook, keyed by (step type, interface, step
name), with the task and the agent's last command once an agent step has
SUCCEEDED; an exception from the hook fails the step. Hooks register by
being decorated, so importing this module is what enables them (see
:mod:`ironic_nbde.conductor.interface` for why the conductor imports it).

- ``nbde_encrypt`` (deploy step) writes the record;
- ``nbde_rebind`` (service step) updates the rebound devices;
- ``nbde_crypto_erase``, ``erase_devices`` and ``erase_devices_metadata``
  (clean steps; the last is also a deploy step) drop what they destroyed.

Recording refuses a result that carries anything but binding metadata
(:mod:`.record`), failing the deploy. Clearing never fails a step: a
node without NBDE must clean as before.
"""

from ironic.drivers.modules import agent_base
from oslo_log import log
from oslo_utils import timeutils

from ironic_nbde import exception
from ironic_nbde.contract import record
from ironic_nbde.contract import steps

LOG = log.getLogger(__name__)

AGENT_INTERFACE = steps.INTERFACE
ENCRYPT = steps.ENCRYPT.name
REBIND = steps.REBIND.name
CRYPTO_ERASE = steps.CRYPTO_ERASE.name
WIPES = ('erase_devices', 'erase_devices_metadata')


def _result(command, step_type):
    """The step's return value from the agent's command status."""
    outcome = command.get('command_result') if isinstance(
        command, dict) else None
    result = outcome.get('%s_result' % step_type) if isinstance(
        outcome, dict) else None
    if result is None:
        raise exception.BindingRecordRefused(
            field='%s_result' % step_type,
            reason='the agent returned no step result')
    return result


def _save(task, value, step):
    node = task.node
    props = node.properties
    if value is None:
        if props.pop(record.KEY, None) is None:
            return
        LOG.info('Node %s: NBDE binding record removed after %s',
                 node.uuid, step)
    else:
        props[record.KEY] = value
        LOG.info('Node %s: NBDE binding of %d device(s) recorded after %s',
                 node.uuid, len(value['devices']), step)
    node.properties = props
    node.save()


def _now():
    return timeutils.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')


@agent_base.post_deploy_step_hook(interface=AGENT_INTERFACE, step=ENCRYPT)
def record_binding(task, command):
    """Store the devices ``nbde_encrypt`` bound; replaces any old record.

    :raises: BindingRecordRefused (the deploy fails) if the result holds
        anything but binding metadata.
    """
    devices = record.bound_devices(_result(command, 'deploy'))
    _save(task, record.make(steps.ENCRYPT.record_name, devices, _now()),
          ENCRYPT)


def update_binding(task, command):
    """Update the devices ``nbde_rebind`` moved to the new Tang policy."""
    devices = record.bound_devices(_result(command, 'service'))
    old = task.node.properties.get(record.KEY)
    _save(task, record.merge(old, steps.REBIND.record_name, devices, _now()),
          REBIND)


def _clear(step, step_type, compute):
    """Run ``compute(old)`` and save; log, never raise, on failure."""
    def hook(task, command):
        # Clearing a record never fails cleaning: whatever the agent
        # returned or the stored record holds, this only logs.
        try:
            old = task.node.properties.get(record.KEY)
            if old is None:
                return
            new = compute(task, command, old)
            _save(task, new, step)
        except exception.NbdeError as e:
            LOG.warning('Node %s: NBDE binding record kept after %s step '
                        '%s: %s', task.node.uuid, step_type, step, e)
        except Exception as e:  # noqa: BLE001 — never fail the step
            LOG.warning('Node %s: NBDE binding record kept after %s step '
                        '%s: unexpected %s', task.node.uuid, step_type,
                        step, type(e).__name__)
    hook.__name__ = 'clear_binding_after_%s' % step
    return hook


def _erased(task, command, old):
    erased = record.erased_devices(_result(command, 'clean'))
    return record.without(old, erased,
                          steps.CRYPTO_ERASE.record_name, _now())


def _wiped(task, command, old):
    skip = task.node.properties.get('skip_block_devices')
    return record.after_wipe(old, skip, 'clean.wipe', _now())


agent_base.post_clean_step_hook(AGENT_INTERFACE, CRYPTO_ERASE)(
    _clear(CRYPTO_ERASE, 'clean', _erased))
for _wipe in WIPES:
    agent_base.post_clean_step_hook(AGENT_INTERFACE, _wipe)(
        _clear(_wipe, 'clean', _wiped))
agent_base.post_deploy_step_hook(AGENT_INTERFACE, 'erase_devices_metadata')(
    _clear('erase_devices_metadata', 'deploy', _wiped))


def _register_service_hook(step, func):
    """Register a post *service* step hook.

    Ironic 39 runs such hooks (``_get_post_step_hook`` looks them up by
    step type, 'service' included) but has no decorator for them and no
    'service' key in its registry, so add the key the decorators use.
    """
    hooks = getattr(agent_base, '_POST_STEP_HOOKS', None)
    if not isinstance(hooks, dict):
        LOG.warning('This Ironic has no post-step hook registry: NBDE '
                    'rebinds will not update node records')
        return
    hooks.setdefault('service', {}).setdefault(AGENT_INTERFACE, {})[
        step] = func


_register_service_hook(REBIND, update_binding)
