"""Figures read off the conductor's own log (``ironic.log``).

Ironic logs when it starts each deploy step on a node ("Executing
{'step': ...} on node UUID") and when one finished ("Node UUID finished
deploy step ..."), the first agent lookup and heartbeat (debug), and the
end of the deploy. The NBDE steps' own time is the span between their
start and their finish; the rest of the deploy is everything else.
"""

import datetime
import re

_TIME = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ')


def _events(path, node_id):
    with open(path, errors='replace') as f:
        for line in f:
            m = _TIME.match(line)
            if m and node_id in line:
                yield datetime.datetime.strptime(
                    m.group(1), '%Y-%m-%d %H:%M:%S.%f'), line


def _step(line):
    m = re.search(r"'step': '([a-z_]+)'", line)
    return m and m.group(1)


def deploy_figures(path, node_id, prefix='nbde_'):
    """Seconds: power-on -> first heartbeat, the NBDE steps, the deploy
    as the conductor saw it, and NBDE's share of it (rounded)."""
    started, finished = {}, {}
    first = {}
    for when, line in _events(path, node_id):
        step = _step(line)
        if 'Executing' in line and step:
            started.setdefault(step, when)
        elif 'finished deploy step' in line and step:
            finished[step] = when
        elif 'Heartbeat' in line or 'heartbeat' in line:
            first.setdefault('heartbeat', when)
        elif 'power on' in line.lower() or 'power_on' in line:
            first.setdefault('power_on', when)
        elif 'Successfully deployed' in line:
            first['deployed'] = when
        first.setdefault('start', when)
    nbde = sum((finished[s] - started[s]).total_seconds()
               for s in started if s.startswith(prefix) and s in finished)
    out = {'nbde_steps': round(nbde, 1)}
    if 'heartbeat' in first:
        out['power_on_to_first_heartbeat'] = round((
            first['heartbeat'] - first.get('power_on', first['start'])
        ).total_seconds())
    if 'deployed' in first:
        total = (first['deployed'] - first['start']).total_seconds()
        out['conductor_deploy'] = round(total)
        out['nbde_share'] = round(nbde / total, 3) if total else None
    return out
