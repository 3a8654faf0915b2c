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

"""A JSON loader for data from outside: bounded size and nesting depth.

Python's ``json`` recurses once per nesting level and raises
RecursionError on deep input; it also accepts ``NaN`` and ``Infinity``.
Every parser of outside data on the Tang side (advertisements, JWE headers,
``/rec`` replies, pin configs) loads through :func:`loads`, which checks the
depth before decoding and raises ValueError for anything it refuses.
"""

import json
import re

MAX_DEPTH = 32
MAX_SIZE = 1 << 20

# A JSON string (skipped whole, so brackets inside do not count) or a
# bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _constant(name):
    raise ValueError('%s is not a JSON number' % name)


def loads(data, max_depth=MAX_DEPTH, max_size=MAX_SIZE):
    """Decode JSON text (str or bytes) of bounded size and depth.

    :raises: ValueError describing why the data is refused.
    """
    if isinstance(data, (bytes, bytearray)):
        if len(data) > max_size:
            raise ValueError('JSON larger than %d bytes' % max_size)
        try:
            data = bytes(data).decode('utf-8')
        except UnicodeDecodeError:
            raise ValueError('not UTF-8 text')
    if not isinstance(data, str):
        raise ValueError('not JSON text')
    if len(data) > max_size:
        raise ValueError('JSON larger than %d bytes' % max_size)
    depth = 0
    for match in _TOKENS.finditer(data):
        bracket = match.group()
        if bracket in '[{':
            depth += 1
            if depth > max_depth:
                raise ValueError('JSON nested deeper than %d levels'
                                 % max_depth)
        elif bracket in ']}':
            depth -= 1
    try:
        return json.loads(data, parse_constant=_constant)
    except RecursionError:  # cannot happen after the scan; never leak it
        raise ValueError('JSON nested too deeply')
    except ValueError as exc:
        raise ValueError('not valid JSON (%s)' % exc)
