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

"""Real tangd servers on 127.0.0.1 for functional tests.

Each server is an accept loop in a thread of the test process that hands
every connection to a fresh ``/usr/libexec/tangd DBDIR`` (inetd style), so
the port comes from the kernel (no race) and every process it starts is
known by PID and ended by PID.
"""

import json
import os
import socket
import subprocess
import threading

import fixtures

TANGD = '/usr/libexec/tangd'
KEYGEN = '/usr/libexec/tangd-keygen'
ROTATE = '/usr/libexec/tangd-rotate-keys'


def have_tang():
    return all(os.access(p, os.X_OK) for p in (TANGD, KEYGEN, ROTATE))


class TangServer(fixtures.Fixture):
    """A real tangd on an ephemeral loopback port."""

    def __init__(self, db=None, log=None):
        """:param log: a file to which every tangd appends its request
        log (``METHOD PATH => CODE`` lines on stderr)."""
        super().__init__()
        self.db = db
        self.log = log

    def _setUp(self):
        if self.db is None:
            self.db = self.useFixture(fixtures.TempDir()).path
            subprocess.run([KEYGEN, self.db], check=True)
        self._procs = []
        self._lock = threading.Lock()
        self._sock = None
        self.start()
        self.addCleanup(self.stop)

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self, port=0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', port or getattr(self, 'port', 0)))
        sock.listen(16)
        self.port = sock.getsockname()[1]
        self._sock = sock
        threading.Thread(target=self._serve, args=(sock,),
                         daemon=True).start()

    def _serve(self, sock):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            err = open(self.log, 'ab') if self.log else subprocess.DEVNULL
            with conn:
                proc = subprocess.Popen([TANGD, self.db], stdin=conn,
                                        stdout=conn, stderr=err)
            if self.log:
                err.close()
            with self._lock:
                self._procs.append(proc)
            self._reap()

    def _reap(self):
        with self._lock:
            self._procs = [p for p in self._procs if p.poll() is None]

    def stop(self):
        """Stop listening (the server is now down) and end its tangds."""
        if self._sock is not None:
            # shutdown() wakes the thread blocked in accept(); close()
            # alone would leave the kernel socket listening.
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        with self._lock:
            procs, self._procs = self._procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def requests(self):
        """The request lines tangd logged (needs ``log``)."""
        if not self.log or not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [ln.strip() for ln in f if '=>' in ln]

    def restart(self):
        self.stop()
        self.start(self.port)

    def keys(self, hidden=False):
        """The JWKs in the database (hidden = rotated ones)."""
        found = []
        for name in sorted(os.listdir(self.db)):
            if name.endswith('.jwk') and name.startswith('.') == hidden:
                with open(os.path.join(self.db, name)) as f:
                    found.append(json.load(f))
        return found

    def signing_thp(self, alg='S256', hidden=False):
        out = [self._thp(k, alg) for k in self.keys(hidden)
               if 'verify' in k.get('key_ops', ())]
        return out[0]

    def exchange_thp(self, alg='S256'):
        return [self._thp(k, alg) for k in self.keys()
                if 'deriveKey' in k.get('key_ops', ())][0]

    @staticmethod
    def _thp(key, alg):
        return subprocess.run(['jose', 'jwk', 'thp', '-i-', '-a', alg],
                              input=json.dumps(key).encode(),
                              capture_output=True,
                              check=True).stdout.decode().strip()

    def rotate(self):
        subprocess.run([ROTATE, '-d', self.db], check=True,
                       capture_output=True)

    def delete_hidden_keys(self):
        for name in os.listdir(self.db):
            if name.startswith('.') and name.endswith('.jwk'):
                os.unlink(os.path.join(self.db, name))


class BlackHole(fixtures.Fixture):
    """A loopback port that accepts TCP connections but never answers."""

    def _setUp(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.addCleanup(self._sock.close)


def free_port_url():
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return 'http://127.0.0.1:%d' % port


def clevis(*args, stdin=b'', check=True):
    """Run the real clevis (the oracle); return the CompletedProcess."""
    proc = subprocess.run(['clevis'] + list(args), input=stdin,
                          capture_output=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError('clevis %s failed (%d): %s' % (
            ' '.join(args), proc.returncode, proc.stderr.decode()))
    return proc

