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

"""The clevis ``sss`` pin: t-of-n Shamir sharing over nested pins.

Outer JWE: compact, ``alg: dir``, ``enc: A256GCM``, content key = the
polynomial's constant term (len(p) bytes), header ``clevis: {pin: sss,
sss: {t, p, jwe: [child compact JWEs]}}``. Each child encrypts its 64-byte
share with its own pin (tang, or a nested sss).

Decryption asks every child at once, each in its own daemon thread, and
returns as soon as t shares are in: a dead or black-holed server costs
nothing when enough others answer, and at most the client's deadline
otherwise. Whatever a child raises is that child's failure; the main thread
never waits past the deadline.
"""

import queue
import secrets
import threading
import time

from ironic_nbde import exception
from ironic_nbde.contract import policy
from ironic_nbde.tang import advertisement
from ironic_nbde.tang import http
from ironic_nbde.tang import jwe
from ironic_nbde.tang import keys
from ironic_nbde.tang import pins
from ironic_nbde.tang import shamir

PIN = 'sss'
PRIME_BITS = 256
MAX_PINS = 64
MAX_PRIME_BYTES = 512
# Grace on top of the HTTP deadline for the children's own work (crypto,
# nested sss), so a child that answered in time is not cut off.
_GRACE = 2.0


def children(config):
    """Flatten an sss config's ``pins`` into [(pin, child_config), ...].

    :raises: InvalidConfig naming the problem.
    """
    def bad(reason):
        return exception.InvalidConfig(what='sss', reason=reason)

    if not isinstance(config, dict):
        raise bad('config must be an object')
    unknown = set(config) - {'t', 'pins'}
    if unknown:
        raise bad('unknown key(s) %s' % ', '.join(sorted(unknown)))
    groups = config.get('pins')
    if not isinstance(groups, dict) or not groups:
        raise bad("'pins' must be a non-empty object")
    result = []
    for name, value in groups.items():
        if name not in pins.names():
            raise bad('unknown pin %r' % name)
        for cfg in (value if isinstance(value, list) else [value]):
            if not isinstance(cfg, dict):
                raise bad('each %s pin config must be an object' % name)
            pins.validate_config(name, cfg)
            result.append((name, cfg))
    if len(result) > MAX_PINS:
        raise bad('more than %d pins' % MAX_PINS)
    problem = policy.threshold_problem(config.get('t', 1), len(result),
                                       of='pins given')
    if problem:
        raise bad("the threshold 't' %s" % problem)
    return result


def validate_config(config):
    children(config)


def encrypt(config, plaintext, policy=advertisement.PINNED_ONLY, client=None):
    """Split a fresh key among the child pins and encrypt ``plaintext``."""
    kids = children(config)
    t = config.get('t', 1)
    client = client or http.Client()
    p = shamir.safe_prime(PRIME_BITS)
    size = (p.bit_length() + 7) // 8
    secret = secrets.randbelow(p)
    points = shamir.split(secret, t, len(kids), p)
    shares = [x.to_bytes(size, 'big') + y.to_bytes(size, 'big')
              for x, y in points]
    tasks = [lambda n=name, c=cfg, s=share: pins.encrypt(n, c, s, policy,
                                                         client)
             for (name, cfg), share in zip(kids, shares, strict=True)]
    child_jwes = _parallel(tasks, need=len(kids),
                           timeout=_timeout(client))
    header = {'alg': 'dir', 'enc': 'A256GCM',
              'clevis': {'pin': PIN, 'sss': {
                  't': t, 'p': keys.b64e(p.to_bytes(size, 'big')),
                  'jwe': child_jwes}}}
    key = {'kty': 'oct', 'k': keys.b64e(secret.to_bytes(size, 'big'))}
    return jwe.encrypt(plaintext, header, key)


def _sss_header(compact):
    clevis = compact.clevis
    if clevis['pin'] != PIN:
        raise exception.JWEError(reason='pin mismatch: expected sss, got '
                                        '%r' % clevis['pin'][:40])
    if compact.header.get('alg') != 'dir':
        raise exception.JWEError(reason='sss pin needs alg dir')
    cfg = clevis.get(PIN)
    if not isinstance(cfg, dict):
        raise exception.JWEError(reason="'clevis.sss' must be an object")
    t, p, child_jwes = cfg.get('t'), cfg.get('p'), cfg.get('jwe')
    if not isinstance(t, int) or isinstance(t, bool):
        raise exception.JWEError(reason="'clevis.sss.t' must be an integer")
    if (not isinstance(child_jwes, list) or not 0 < len(child_jwes) <= MAX_PINS
            or not all(isinstance(j, str) for j in child_jwes)):
        raise exception.JWEError(reason="'clevis.sss.jwe' must be a list of "
                                        "1-%d compact JWEs" % MAX_PINS)
    if not 1 <= t <= len(child_jwes):
        raise exception.JWEError(reason="'clevis.sss.t' must be between 1 "
                                        "and the number of child JWEs")
    try:
        raw_p = keys.b64d(p)
    except ValueError:
        raise exception.JWEError(reason="'clevis.sss.p' must be base64url")
    prime = int.from_bytes(raw_p, 'big')
    if len(raw_p) > MAX_PRIME_BYTES or prime < 3:
        raise exception.JWEError(reason="'clevis.sss.p' is not a plausible "
                                        "prime")
    return t, prime, len(raw_p), child_jwes


def binding(compact):
    """Describe an sss JWE: threshold and the children's bindings."""
    t, _, _, child_jwes = _sss_header(compact)
    return {'t': t, 'pins': [pins.describe(j) for j in child_jwes]}


def decrypt(compact, client=None):
    """Recover t shares in parallel, rebuild the key and decrypt."""
    t, prime, size, child_jwes = _sss_header(compact)
    client = client or http.Client()

    def share(child):
        data = pins.decrypt(child, client)
        if len(data) != 2 * size:
            raise exception.JWEError(reason='share has %d bytes, expected '
                                            '%d' % (len(data), 2 * size))
        return (int.from_bytes(data[:size], 'big'),
                int.from_bytes(data[size:], 'big'))

    points = _parallel([lambda c=c: share(c) for c in child_jwes], need=t,
                       timeout=_timeout(client))
    if len({x for x, _ in points}) != len(points):
        raise exception.JWEError(reason='duplicate share coordinates')
    secret = shamir.combine(points, prime)
    return jwe.decrypt(compact, secret.to_bytes(size, 'big'))


def _timeout(client):
    settings = getattr(client, 'settings', None) or http.Settings()
    return settings.deadline + _GRACE


def _parallel(tasks, need, timeout):
    """Run tasks in daemon threads; return the first ``need`` results.

    Results come back in completion order (sss does not care which t
    children answered). Any exception of a task is that task's failure.
    Raises InsufficientShares with every child's error as soon as ``need``
    can no longer be reached, or when ``timeout`` seconds pass first.
    """
    done = queue.Queue()

    def run(index, task):
        try:
            done.put((index, task(), None))
        except exception.NbdeError as exc:
            done.put((index, None, str(exc)))
        except Exception as exc:  # never lose a child: the caller waits
            done.put((index, None, 'unexpected %s: %s'
                      % (type(exc).__name__, str(exc)[:200])))

    for index, task in enumerate(tasks):
        threading.Thread(target=run, args=(index, task), daemon=True,
                         name='nbde-sss-%d' % index).start()
    end = time.monotonic() + timeout
    results, errors, answered = [], [], set()

    def insufficient():
        late = ['pin %d: no answer within %gs' % (i + 1, timeout)
                for i in range(len(tasks)) if i not in answered]
        return exception.InsufficientShares(
            t=need, n=len(tasks), got=len(results),
            errors='; '.join(sorted(errors) + late))

    while len(results) < need:
        try:
            index, value, error = done.get(
                timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            raise insufficient()
        answered.add(index)
        if error is None:
            results.append((index, value))
            continue
        errors.append('pin %d: %s' % (index + 1, error))
        if len(tasks) - len(errors) < need:
            raise insufficient()
    results.sort()
    return [value for _, value in results]
