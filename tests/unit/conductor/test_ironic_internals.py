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

"""The Ironic internals the conductor piece relies on, checked on the real
installed Ironic.

None of these is a plugin API (see doc/source/install/conductor.rst,
"Supported Ironic versions"): an Ironic release may change them without
notice. Each test names the internal it checks, so that such a release
fails here, loudly, rather than deploying nodes whose binding is never
recorded.
"""

import importlib.metadata
import inspect
from unittest import mock

from ironic import objects
from ironic.drivers import base as drivers_base
from ironic.drivers.modules import agent_base

from ironic_nbde.conductor import hooks
from ironic_nbde.conductor import interface
from tests import base

# Registered by ironic_nbde.conductor.hooks: (step type, step) -> hook.
EXPECTED = {
    ('deploy', hooks.ENCRYPT): hooks.record_binding,
    ('service', hooks.REBIND): hooks.update_binding,
    ('clean', hooks.CRYPTO_ERASE): None,
    ('clean', 'erase_devices'): None,
    ('clean', 'erase_devices_metadata'): None,
    ('deploy', 'erase_devices_metadata'): None,
}
# The oldest Ironic the documentation says is supported and tested.
SUPPORTED_FLOOR = 39


class IronicInternalsTest(base.TestCase):

    def _params(self, func):
        return list(inspect.signature(func).parameters)

    def test_installed_ironic_is_in_the_supported_range(self):
        version = importlib.metadata.version('ironic')
        self.assertGreaterEqual(
            int(version.split('.')[0]), SUPPORTED_FLOOR,
            'ironic %s is older than the documented floor' % version)

    def test_post_step_hook_decorators(self):
        for name in ('post_deploy_step_hook', 'post_clean_step_hook'):
            decorator = getattr(agent_base, name, None)
            self.assertIsNotNone(decorator, 'Ironic has no agent_base.%s: '
                                 'the NBDE hooks cannot register' % name)
            self.assertEqual(['interface', 'step'], self._params(decorator),
                             'agent_base.%s changed its signature' % name)

    def test_post_step_hook_registry(self):
        registry = getattr(agent_base, '_POST_STEP_HOOKS', None)
        self.assertIsInstance(registry, dict, 'Ironic has no post-step '
                              'hook registry agent_base._POST_STEP_HOOKS')
        self.assertLessEqual({'deploy', 'clean', 'service'}, set(registry),
                             'the registry is keyed by step type')
        for (step_type, step), hook in EXPECTED.items():
            found = registry[step_type].get(hooks.AGENT_INTERFACE, {}).get(
                step)
            self.assertTrue(callable(found), '%s hook for %s not in the '
                            'registry' % (step_type, step))
            if hook is not None:
                self.assertIs(hook, found)

    def test_service_is_a_valid_agent_step_type(self):
        self.assertIn('service', getattr(agent_base, '_VALID_STEP_TYPES', ()),
                      'agent_base.process_next_step would reject the '
                      "'service' step type of nbde_rebind")

    def test_ironic_finds_each_hook_from_the_nodes_current_step(self):
        """Ironic's own lookup, on a real Node object, as process_next_step
        calls it after an agent step SUCCEEDED."""
        lookup = getattr(agent_base, '_get_post_step_hook', None)
        self.assertIsNotNone(lookup, 'Ironic has no '
                             'agent_base._get_post_step_hook')
        self.assertEqual(['node', 'step_type'], self._params(lookup),
                         'agent_base._get_post_step_hook changed its '
                         'signature')
        self.assertIn('service_step', objects.Node.fields,
                      'Ironic nodes have no service_step field')
        for (step_type, step), hook in EXPECTED.items():
            node = objects.Node()
            setattr(node, '%s_step' % step_type, {
                'interface': hooks.AGENT_INTERFACE, 'step': step,
                'priority': 50, 'args': {}})
            found = lookup(node, step_type)
            self.assertTrue(callable(found), 'Ironic does not find the %s '
                            'hook of %s' % (step_type, step))
            if hook is not None:
                self.assertIs(hook, found)

    def test_servicing_continues_through_process_next_step(self):
        """The agent's heartbeat in SERVICEWAIT reaches the hook lookup
        through continue_servicing -> process_next_step(task, 'service')."""
        mixin = getattr(agent_base, 'HeartbeatMixin', None)
        self.assertTrue(hasattr(mixin, 'continue_servicing'),
                        'agent_base.HeartbeatMixin.continue_servicing is '
                        'gone')
        self_ = mock.Mock(spec=['process_next_step'])
        task = mock.sentinel.task
        mixin.continue_servicing(self_, task)
        self_.process_next_step.assert_called_once_with(task, 'service')
        self.assertEqual(['self', 'task', 'step_type'], self._params(
            agent_base.AgentBaseMixin.process_next_step)[:3])

    def test_hook_loader_is_a_complete_vendor_interface(self):
        """The conductor instantiates every enabled interface: a new
        abstract method in Ironic's VendorInterface would break start-up."""
        self.assertTrue(issubclass(interface.NbdeHookLoader,
                                   drivers_base.VendorInterface))
        loader = interface.NbdeHookLoader()
        self.assertEqual({}, loader.get_properties())
        self.assertIsNone(loader.validate(mock.sentinel.task))
