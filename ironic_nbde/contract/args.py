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

"""Errors about step arguments, with values shown safely."""

from ironic_nbde import exception


def bad(arg, reason, *fmt):
    """An :class:`InvalidStepArgument` for ``arg``; ``reason % fmt`` with
    each value made safe for a message by :func:`shown`."""
    return exception.InvalidStepArgument(arg=arg, reason=reason % tuple(
        shown(f) for f in fmt))


def shown(value):
    """A value for an error message: one line, bounded, never a repr of
    a container (which could hold anything)."""
    if isinstance(value, int) and not isinstance(value, bool) \
            and abs(value) < 10**9:
        return value
    if isinstance(value, (str, int, float, bool, type(None))) or isinstance(
            value, exception.NbdeError):
        text = value if isinstance(value, str) else str(value)
        text = ' '.join(text.split())
        return text if len(text) <= 80 else text[:77] + '...'
    return '<%s>' % type(value).__name__
