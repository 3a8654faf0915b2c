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

"""Shamir secret sharing over a prime field, as clevis's ``sss`` pin does it.

clevis draws a fresh 256-bit safe prime p per binding, a random polynomial
of degree t-1 whose constant term is the content key, and gives each child
pin the point (x, y) as 64 bytes: x and y big-endian, each len(p) bytes.
Prime generation and Lagrange interpolation are arithmetic that neither
jwcrypto nor cryptography offers.
"""

import functools
import math
import secrets



@functools.cache
def _primes_below(limit):
    flags = bytearray(b'\x01') * limit
    flags[:2] = b'\x00\x00'
    for i in range(2, math.isqrt(limit) + 1):
        if flags[i]:
            flags[i * i::i] = bytes(len(range(i * i, limit, i)))
    return [i for i in range(3, limit) if flags[i]]


_SIEVE_LIMIT = 1 << 15
_MR_ROUNDS = 32


def is_probable_prime(n, rounds=_MR_ROUNDS):
    """Miller-Rabin with random bases (error < 4**-rounds)."""
    if n < 2:
        return False
    for q in _primes_below(256):
        if n % q == 0:
            return n == q
    if n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def safe_prime(bits=256):
    """A random safe prime p = 2q + 1 (q prime) of exactly ``bits`` bits.

    Sieves a window of consecutive odd q after a random start, striking
    every q where q or 2q+1 has a small factor, and runs Fermat and then
    Miller-Rabin only on the survivors.
    """
    window = 4096
    while True:
        q0 = secrets.randbits(bits - 1) | (1 << (bits - 2)) | 1
        sieve = bytearray(b'\x01') * window  # candidate q = q0 + 2k
        for r in _primes_below(_SIEVE_LIMIT):
            half = (r + 1) // 2  # inverse of 2 mod r
            for bad in (0, (r - 1) // 2):  # q = 0 or 2q+1 = 0 (mod r)
                start = (bad - q0) * half % r
                sieve[start::r] = bytes(len(range(start, window, r)))
        for k in (i for i, ok in enumerate(sieve) if ok):
            q = q0 + 2 * k
            p = 2 * q + 1
            if p.bit_length() != bits:
                break
            if pow(2, p - 1, p) != 1 or pow(2, q - 1, q) != 1:
                continue
            # q prime and 2^2 != 1 (mod p) prove p = 2q+1 prime
            # (Pocklington), so only q needs Miller-Rabin.
            if is_probable_prime(q):
                return p


def split(secret, t, n, p):
    """Split ``secret`` (an int in [0, p)) into n points, any t recover it.

    :returns: list of (x, y) with distinct random non-zero x.
    """
    coeffs = [secret] + [secrets.randbelow(p) for _ in range(t - 1)]
    xs = set()
    while len(xs) < n:
        xs.add(secrets.randbelow(p - 1) + 1)
    points = []
    for x in xs:
        y = 0
        for c in reversed(coeffs):
            y = (y * x + c) % p
        points.append((x, y))
    return points


def combine(points, p):
    """Lagrange interpolation at 0 of distinct points mod p."""
    secret = 0
    for j, (xj, yj) in enumerate(points):
        num, den = 1, 1
        for m, (xm, _) in enumerate(points):
            if m != j:
                num = num * xm % p
                den = den * (xm - xj) % p
        secret = (secret + yj * num * pow(den, -1, p)) % p
    return secret
