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

"""rebind: regenerate pinned to the old keys, or change the policy."""

from ironic_nbde import exception
from ironic_nbde import luks
from tests.unit.luks import base
from tests.unit.luks import fakes


class TestRebind(base.LuksTestCase):

    def setUp(self):
        super().setUp()
        self.old = luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                             client=self.client)
        self.fake.calls.clear()
        self.client.requests.clear()

    def test_regen_adds_verifies_then_kills(self):
        new = luks.rebind(base.DEV, slot=self.old.keyslot, client=self.client)
        self.assertNotEqual(self.old.keyslot, new.keyslot)
        actions = self.fake.actions()
        self.assertLess(actions.index('token replace'),
                        actions.index('luksKillSlot'))
        # The new key was proven (open --key-slot NEW) before the kill.
        proofs = [i for i, c in enumerate(self.fake.calls)
                  if c['argv'][1] == 'open' and str(new.keyslot)
                  in c['argv']]
        self.assertTrue(proofs)
        self.assertLess(proofs[-1], actions.index('luksKillSlot'))
        self.assertConverged()
        # Pinned: /adv/{old signing thp} was fetched, not a bare /adv.
        gets = [u for m, u, _ in self.client.requests if m == 'GET']
        self.assertEqual({base.META['url_a'] + '/adv/'
                          + base.META['thp_a']}, set(gets))

    def test_change_policy_replaces_every_old_binding(self):
        new = luks.rebind(base.DEV, pin='tang', config=self.tang('b'),
                          client=self.client)
        self.assertEqual({'url': base.META['url_b']}, new.config)
        self.assertEqual([new.keyslot], [b.keyslot for b in
                                         luks.list_bindings(base.DEV)])

    def test_unknown_slot(self):
        self.assertRaises(exception.BindingNotFound, luks.rebind, base.DEV,
                          slot=5, client=self.client)

    def test_untrusted_new_keys_keep_the_old_binding(self):
        self.assertRaises(exception.UntrustedAdvertisement, luks.rebind,
                          base.DEV, slot=self.old.keyslot,
                          thumbprints={base.META['url_a']: 'x' * 43},
                          client=self.client)
        self.assertConverged()
        self.assertEqual([self.old.keyslot],
                         [b.keyslot for b in luks.list_bindings(base.DEV)])

    def test_crash_at_every_step_rerun_converges(self):
        luks.rebind(base.DEV, slot=self.old.keyslot, client=self.client)
        steps = len(self.fake.calls)
        for step in range(steps):
            self.reset()
            old = luks.bind(base.DEV, 'tang', self.tang(), base.OLD,
                            client=self.client)
            self.fake.calls.clear()
            self.fake.crash_at = step
            self.assertRaises(fakes.Crash, luks.rebind, base.DEV,
                              slot=old.keyslot, client=self.client)
            self.fake.crash_at = None
            self.assertEqual(0, self.dev.opens(base.OLD))
            bound = luks.list_bindings(base.DEV)
            slot = (old.keyslot if old.keyslot in [b.keyslot for b in bound]
                    else bound[0].keyslot)
            luks.rebind(base.DEV, slot=slot, client=self.client)
            self.assertConverged()
