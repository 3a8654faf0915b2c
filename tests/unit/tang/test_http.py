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

"""The HTTP edge against tiny loopback servers (no Tang involved)."""

import http.server
import socket
import threading
import time

from ironic_nbde import exception
from ironic_nbde.tang import http as nbde_http
from tests import base

FAST = nbde_http.Settings(connect_timeout=0.5, read_timeout=0.5, retries=2,
                          retry_backoff=0.01, max_response_size=1024)


class _Handler(http.server.BaseHTTPRequestHandler):
    script = []  # list of (status, body) answered in order, last repeats

    def _answer(self):
        self.server.hits.append((self.command, self.path,
                                 self.headers.get('Content-Type')))
        status, body = self.server.script[
            min(len(self.server.hits), len(self.server.script)) - 1]
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *args):
        pass


class HttpTest(base.TestCase):

    def serve(self, *script):
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        srv.script, srv.hits = list(script), []
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return srv, 'http://127.0.0.1:%d' % srv.server_address[1]

    def listener(self):
        """A loopback socket that accepts but never answers by itself."""
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        sock.listen(8)
        self.addCleanup(sock.close)
        return sock, 'http://127.0.0.1:%d/adv' % sock.getsockname()[1]

    def test_ok_and_post(self):
        srv, url = self.serve((200, b'{"a": 1}'))
        client = nbde_http.Client(FAST)
        self.assertEqual(b'{"a": 1}', client.get(url + '/adv').body)
        client.post(url + '/rec/x', b'{}', 'application/jwk+json')
        self.assertEqual(('POST', '/rec/x', 'application/jwk+json'),
                         srv.hits[-1])

    def test_status_errors_name_url_and_status(self):
        for status, hint in ((404, 'unknown key'), (500, 'server error'),
                             (413, 'too large'), (400, 'bad request')):
            srv, url = self.serve((status, b'no'))
            exc = self.assertRaises(exception.TangHTTPError,
                                    nbde_http.Client(FAST).get,
                                    url + '/adv')
            self.assertIn('GET %s/adv failed: HTTP %d' % (url, status),
                          str(exc))
            self.assertIn(hint, str(exc))
            self.assertEqual(1, len(srv.hits))  # 4xx/500 not retried

    def test_retry_then_success(self):
        srv, url = self.serve((503, b''), (502, b''), (200, b'ok'))
        self.assertEqual(b'ok', nbde_http.Client(FAST).get(url).body)
        self.assertEqual(3, len(srv.hits))

    def test_retries_exhausted(self):
        srv, url = self.serve((503, b''))
        exc = self.assertRaises(exception.TangHTTPError,
                                nbde_http.Client(FAST).get, url)
        self.assertIn('HTTP 503', str(exc))
        self.assertEqual(3, len(srv.hits))

    def test_response_too_large(self):
        srv, url = self.serve((200, b'x' * 4096))
        exc = self.assertRaises(exception.TangHTTPError,
                                nbde_http.Client(FAST).get, url)
        self.assertIn('larger than 1024 bytes', str(exc))
        self.assertEqual(1, len(srv.hits))

    def test_connection_refused(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            url = 'http://127.0.0.1:%d/adv' % s.getsockname()[1]
        exc = self.assertRaises(exception.TangHTTPError,
                                nbde_http.Client(FAST).get, url)
        self.assertIn('connection refused (after 3 attempts)', str(exc))
        self.assertIn(url, str(exc))

    def test_black_hole_costs_only_the_timeouts(self):
        sock, url = self.listener()
        settings = nbde_http.Settings(connect_timeout=0.2, read_timeout=0.2,
                                      retries=0)
        start = time.monotonic()
        exc = self.assertRaises(exception.TangHTTPError,
                                nbde_http.Client(settings).get, url)
        self.assertIn('timed out', str(exc))
        # Bounded by the configured timeout, not by any default.
        self.assertLess(time.monotonic() - start, 5)

    def test_drip_is_cut_at_the_deadline(self):
        # One byte every 0.1 s never trips the 0.5 s read timeout; only
        # the overall deadline ends it.
        sock, url = self.listener()

        def drip():
            conn, _ = sock.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n'
                             b'\r\n')
                try:
                    for _ in range(100):
                        conn.sendall(b'x')
                        time.sleep(0.1)
                except OSError:
                    pass

        threading.Thread(target=drip, daemon=True).start()
        settings = nbde_http.Settings(read_timeout=0.5, deadline=1.0,
                                      max_response_size=4096)
        start = time.monotonic()
        exc = self.assertRaises(exception.TangHTTPError,
                                nbde_http.Client(settings).get, url)
        self.assertLess(time.monotonic() - start, 2.5)
        self.assertIn('no complete answer within the 1s deadline',
                      str(exc))

    def test_one_deadline_across_retries(self):
        sock, url = self.listener()
        settings = nbde_http.Settings(read_timeout=10, retries=2,
                                      deadline=1.0)
        start = time.monotonic()
        self.assertRaises(exception.TangHTTPError,
                          nbde_http.Client(settings).get, url)
        # Not 3 x 10 s: the deadline covers every attempt.
        self.assertLess(time.monotonic() - start, 2.5)

    def test_url_errors_are_clear(self):
        for bad, reason in ((5, "'url' must be a string"),
                            ('http://[::1', 'malformed'),
                            ('http://t:99999', 'malformed'),
                            ('http://t:abc', 'malformed'),
                            ('http://%s' % ('a' * 64), 'invalid host'),
                            ('http://u:p@t', 'user information'),
                            ('http://t/?q=1', 'query'),
                            ('http://t\x07x', 'control'),
                            ('http://[::zz]', 'malformed')):
            exc = self.assertRaises(exception.InvalidConfig,
                                    nbde_http.normalize_url, bad)
            self.assertIn(reason, str(exc))

    def test_normalize_url(self):
        self.assertEqual('http://tang:7500',
                         nbde_http.normalize_url('tang:7500/'))
        self.assertEqual('https://t/x', nbde_http.normalize_url('https://t/x'))
        for bad in ('', None, 'ftp://x', 'http://'):
            self.assertRaises(exception.InvalidConfig,
                              nbde_http.normalize_url, bad)
