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

"""Enable ironic-nbde's conductor piece in an existing ironic.conf.

The conductor imports every implementation named in ``[DEFAULT]
enabled_vendor_interfaces`` at start-up; naming ``nbde`` there registers
the NBDE step hooks (see :mod:`ironic_nbde.conductor.interface`). The
edit appends ``nbde`` to the value already there and leaves every other
line (comments, order, other options) as it was.
"""

import re

from ironic_nbde import exception

OPTION = 'enabled_vendor_interfaces'
INTERFACE = 'nbde'
_SECTION = re.compile(r'^\s*\[(?P<name>[^\]]+)\]')
_ASSIGN = re.compile(r'^(?P<key>%s\s*[=:]\s*)(?P<value>.*?)(?P<eol>\s*)$'
                     % OPTION)


def add_vendor_interface(text, name=INTERFACE):
    """``text`` of an ironic.conf with ``name`` in the option's list.

    :returns: (new text, the option's new value).
    :raises: InvalidConfig if [DEFAULT] does not set the option (Ironic's
        default then applies, and appending to it would silently change
        which vendor interfaces the nodes may use).
    """
    lines = text.splitlines(keepends=True)
    section, found = None, None
    for index, line in enumerate(lines):
        header = _SECTION.match(line)
        if header:
            section = header.group('name').strip()
        elif section == 'DEFAULT' and _ASSIGN.match(line):
            found = index  # oslo.config keeps the last one
    if found is None:
        raise exception.InvalidConfig(
            what='ironic', reason='[DEFAULT] %s is not set; set it to the '
            'vendor interfaces your nodes use, then enable %s' % (
                OPTION, name))
    match = _ASSIGN.match(lines[found])
    values = [v.strip() for v in match.group('value').split(',')
              if v.strip()]
    if name not in values:
        values.append(name)
    value = ','.join(values)
    lines[found] = match.group('key') + value + match.group('eol')
    return ''.join(lines), value


def enable(path, dry_run=False):
    """Add ``nbde`` to the vendor interfaces in the file ``path``.

    :returns: a row {file, option, value, changed}.
    """
    try:
        with open(path) as f:
            text = f.read()
        new, value = add_vendor_interface(text)
        if new != text and not dry_run:
            with open(path, 'w') as f:
                f.write(new)
    except OSError as e:
        raise exception.InvalidConfig(what='ironic', reason='%s: %s' % (
            path, e.strerror))
    return {'file': path, 'option': OPTION, 'value': value,
            'changed': new != text, 'dry_run': dry_run}
