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

"""Hypothesis strategies shared by the fuzz tests of outside-data parsers.

Example counts stay bounded (``FUZZ``) so the unit suite stays fast.
"""

from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=40))


def json_values(keys=st.text(max_size=12), leaves=SCALARS):
    """Arbitrary JSON documents (nested lists and objects)."""
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=5)
                        | st.dictionaries(keys, inner, max_size=5),
                        max_leaves=25)


def objects_like(template, leaves=None):
    """Objects with ``template``'s keys (and a few others), values either
    the template's or arbitrary JSON: near-valid input, where parsers
    break."""
    values = json_values()
    entries = {k: st.one_of(st.just(v), values) for k, v in template.items()}
    return st.fixed_dictionaries(
        {}, optional=entries).flatmap(lambda d: st.dictionaries(
            st.text(max_size=8), values, max_size=2).map(
                lambda extra: dict(extra, **d)))
