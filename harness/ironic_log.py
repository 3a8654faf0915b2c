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

"""Figures read off the conductor's own log (``ironic.log``).

Ironic logs each deploy step as it starts it on a node ("Executing
{'step': ...} on node UUID", ironic.conductor.deployments), the agent's
heartbeats, and the end of the deploy ("Successfully deployed node"). An
asynchronous agent step runs from its start to the start of the step
after it, so the NBDE steps' own time is the sum of those spans; the
share is of the conductor's whole deploy.
"""

import datetime
import re

_TIME = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ')
_STEP = re.compile(r"'step': '([a-z_]+)'")


def _events(path, node_id):
    with open(path, errors='replace') as f:
        for line in f:
            m = _TIME.match(line)
            if m and node_id in line:
                yield datetime.datetime.strptime(
                    m.group(1), '%Y-%m-%d %H:%M:%S.%f'), line


def deploy_figures(path, node_id, prefix='nbde_'):
    """Seconds: deploy start -> first heartbeat (the ramdisk's boot and
    lookup), the NBDE steps, the conductor's deploy, NBDE's share."""
    steps, marks = [], {}
    for when, line in _events(path, node_id):
        marks.setdefault('start', when)
        m = _STEP.search(line)
        if 'ironic.conductor.deployments' in line and 'Executing' in line \
                and m:
            steps.append((when, m.group(1)))
        elif 'Heartbeat from node' in line:
            marks.setdefault('heartbeat', when)
        elif 'Successfully deployed node' in line:
            marks['deployed'] = when
    ends = [w for w, _ in steps[1:]] + [marks.get('deployed')]
    nbde = sum((end - start).total_seconds()
               for (start, name), end in zip(steps, ends)
               if name.startswith(prefix) and end is not None)
    out = {'nbde_steps': round(nbde, 1)}
    if 'heartbeat' in marks:
        out['deploy_start_to_first_heartbeat'] = round(
            (marks['heartbeat'] - marks['start']).total_seconds())
    if 'deployed' in marks:
        total = (marks['deployed'] - marks['start']).total_seconds()
        out['conductor_deploy'] = round(total)
        out['nbde_share'] = round(nbde / total, 3) if total else None
    return out
