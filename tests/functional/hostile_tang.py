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

"""A malicious Tang server on 127.0.0.1, for hostile-input tests.

One real HTTP/1.1 listener (plain sockets, a thread per connection) whose
behaviour is its ``mode``, changeable between requests:

- ``drip``: valid headers, then the body one byte every 0.2 s;
- ``hang``: accepts, reads the request, never answers;
- ``huge``: a 200 with a 50 MB body (streamed while the client reads);
- ``garbage``: bytes that are not HTTP at all;
- ``status``: the status ``self.status`` with an empty body;
- ``redirect``: a 302 to ``self.location``;
- ``body``: a 200 whose body is ``self.body`` (bytes), for every path:
  wrong JSON types, deep JSON, off-curve / wrong-curve / wrong points, ...;
- ``proxy``: forwards to ``self.upstream`` (a real tangd) except that a
  ``/rec`` reply is replaced by ``self.rec_body`` when it is set.

Every connection thread is a daemon and ends when the fixture stops.
"""

import socket
import threading
import time
import urllib.request

import fixtures

HUGE = 50 * 1024 * 1024


class HostileTang(fixtures.Fixture):

    def __init__(self, mode='hang'):
        super().__init__()
        self.mode = mode
        self.status = 500
        self.location = 'http://127.0.0.1:9/adv'
        self.body = b''
        self.upstream = None
        self.rec_body = None
        self.requests = []

    def _setUp(self):
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        threading.Thread(target=self._accept, daemon=True).start()
        self.addCleanup(self._close)

    def _close(self):
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        with conn:
            try:
                method, path, body = _read_request(conn)
                self.requests.append((method, path))
                getattr(self, '_' + self.mode)(conn, method, path, body)
            except OSError:
                pass  # the client gave up: that is the point

    @staticmethod
    def _answer(conn, status, body, extra=b''):
        conn.sendall(b'HTTP/1.1 %d X\r\nContent-Type: application/json\r\n'
                     b'Content-Length: %d\r\n%s\r\n' % (status, len(body),
                                                        extra) + body)

    def _drip(self, conn, method, path, body):
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n')
        while not self._stop.wait(0.2):
            conn.sendall(b'{')

    def _hang(self, conn, method, path, body):
        self._stop.wait(120)

    def _huge(self, conn, method, path, body):
        conn.sendall(b'HTTP/1.1 200 OK\r\n\r\n')  # no length: until close
        chunk = b'x' * 65536
        for _ in range(HUGE // len(chunk)):
            if self._stop.is_set():
                return
            conn.sendall(chunk)

    def _garbage(self, conn, method, path, body):
        conn.sendall(b'\x00\xffSSH-2.0-not-http\r\n' * 50)

    def _status(self, conn, method, path, body):
        self._answer(conn, self.status, b'')

    def _redirect(self, conn, method, path, body):
        self._answer(conn, 302, b'',
                     b'Location: %s\r\n' % self.location.encode())

    def _body(self, conn, method, path, body):
        self._answer(conn, 200, self.body)

    def _proxy(self, conn, method, path, body):
        if path.startswith('/rec/') and self.rec_body is not None:
            return self._answer(conn, 200, self.rec_body)
        req = urllib.request.Request(self.upstream + path, data=body,
                                     method=method)
        if body:
            req.add_header('Content-Type', 'application/jwk+json')
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                self._answer(conn, resp.status, resp.read())
        except urllib.error.HTTPError as e:
            self._answer(conn, e.code, b'')


def _read_request(conn):
    conn.settimeout(5)
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise OSError('client closed')
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    method, path = lines[0].split(' ')[:2]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(':')
        if name.strip().lower() == 'content-length':
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        rest += chunk
    conn.settimeout(None)
    return method, path, rest


def elapsed(func, *args, **kwargs):
    """(seconds, result or exception) of one call."""
    start = time.monotonic()
    try:
        result = func(*args, **kwargs)
    except Exception as exc:  # the caller asserts on it
        result = exc
    return time.monotonic() - start, result
