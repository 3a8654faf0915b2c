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

"""The one small HTTP client of ironic-nbde (the Tang protocol's I/O edge).

Plain ``http.client`` keeps it light enough for an IPA ramdisk and quick to
import. Every request has a connect timeout and a read timeout, a bounded
number of retries with exponential backoff for transient failures, and a cap
on the response size. Above all of them, one wall-clock deadline per request
(connect, the whole answer, every retry and backoff): a watchdog shuts the
socket down when it passes, so a server that drips a byte at a time or
accepts and never answers is given up on at the deadline. Errors name the
method, the URL and the cause.
"""

import argparse
import dataclasses
import http.client
import re
import socket
import threading
import time
import urllib.parse

import logging

from ironic_nbde import exception

LOG = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({502, 503, 504})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Timeouts and limits of one Tang HTTP client."""

    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    retries: int = 2
    retry_backoff: float = 0.25
    max_response_size: int = 262144
    deadline: float = 15.0


def deadline_arg(text):
    """argparse type of a command's ``--deadline``-style option."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0.5 <= value <= 3600:
        raise argparse.ArgumentTypeError('must be 0.5 to 3600 seconds')
    return value


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


_MAX_URL = 2048
_LABEL = re.compile(r'(?!-)[A-Za-z0-9_-]{1,63}(?<!-)')


def normalize_url(url):
    """Return a Tang base URL with a scheme and without a trailing slash.

    clevis passes the URL to curl, which assumes http:// when the scheme is
    missing; do the same. The URL must be usable as it is: a host name of
    valid DNS labels (or an IP address), a port in 1-65535, and no user
    information, query or fragment.

    :raises: InvalidConfig naming what is wrong.
    """
    def bad(reason):
        return exception.InvalidConfig(what='tang', reason=reason)

    if not isinstance(url, str):
        raise bad("'url' must be a string, not %s" % type(url).__name__)
    url = url.strip()
    if not url:
        raise bad("'url' is empty")
    if len(url) > _MAX_URL:
        raise bad('url is longer than %d characters' % _MAX_URL)
    if not url.isascii() or not url.isprintable() or ' ' in url:
        raise bad('url %r has non-ASCII, control or space characters'
                  % url[:100])
    if '://' not in url:
        url = 'http://' + url
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad('url %r is malformed (%s)' % (url, exc))
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise bad('url %r is not an http(s) URL' % url)
    if port == 0:
        raise bad('url %r has port 0' % url)
    if parts.username is not None or parts.password is not None:
        raise bad('url must not carry user information')
    if parts.query or parts.fragment or url.endswith(('?', '#')):
        raise bad('url %r must not have a query or fragment' % url)
    _check_host(parts.hostname, url, bad)
    return url.rstrip('/')


def _check_host(host, url, bad):
    if ':' in host:  # an IPv6 literal; urlsplit checked the brackets
        try:
            socket.inet_pton(socket.AF_INET6, host.split('%', 1)[0])
        except OSError:
            raise bad('url %r has an invalid IPv6 address' % url)
        return
    labels = host.rstrip('.').split('.')
    if len(host) > 253 or not all(_LABEL.fullmatch(lb) for lb in labels):
        raise bad('url %r has an invalid host name (DNS labels are 1-63 '
                  'letters, digits or hyphens, 253 characters in all)'
                  % url)


class Client:
    """Minimal HTTP/1.1 client for Tang's ``/adv`` and ``/rec`` calls."""

    def __init__(self, settings=None):
        self.settings = settings or Settings()

    def get(self, url):
        return self.request('GET', url)

    def post(self, url, body, content_type):
        return self.request('POST', url, body=body,
                            headers={'Content-Type': content_type})

    def request(self, method, url, body=None, headers=None):
        """Send one request, retrying transient failures, all within the
        deadline.

        :returns: a :class:`Response` with a 2xx status.
        :raises: TangHTTPError naming the method, URL and cause.
        """
        attempts = self.settings.retries + 1
        delay = self.settings.retry_backoff
        end = time.monotonic() + self.settings.deadline
        for attempt in range(1, attempts + 1):
            def fail(reason, attempt=attempt):
                return exception.TangHTTPError(
                    method=method, url=url,
                    reason='%s (after %d attempt%s)' % (
                        reason, attempt, '' if attempt == 1 else 's'))

            try:
                resp = self._once(method, url, body, headers or {}, end)
            except (OSError, http.client.HTTPException, ValueError,
                    UnicodeError) as exc:
                # ValueError/UnicodeError: what http.client and the IDNA
                # codec raise for a URL that cannot be sent.
                reason = _describe(exc)
                if isinstance(exc, (_TooLarge, _Deadline, ValueError)):
                    raise fail(reason)
                if attempt < attempts and self._can_wait(delay, end):
                    LOG.debug('%s %s attempt %d failed (%s); retrying',
                              method, url, attempt, reason)
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise fail(reason)
            if (resp.status in _RETRY_STATUSES and attempt < attempts
                    and self._can_wait(delay, end)):
                LOG.debug('%s %s returned HTTP %d; retrying',
                          method, url, resp.status)
                time.sleep(delay)
                delay *= 2
                continue
            if not 200 <= resp.status < 300:
                raise exception.TangHTTPError(
                    method=method, url=url, status=resp.status,
                    reason='HTTP %d%s' % (resp.status,
                                          _status_hint(resp.status)))
            return resp

    @staticmethod
    def _can_wait(delay, end):
        # Retry only if the backoff leaves time for another attempt.
        return time.monotonic() + delay < end

    def _once(self, method, url, body, headers, end):
        parts = urllib.parse.urlsplit(url)
        cls = (http.client.HTTPSConnection if parts.scheme == 'https'
               else http.client.HTTPConnection)
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise _Deadline(self.settings.deadline)
        conn = cls(parts.hostname, parts.port,
                   timeout=min(self.settings.connect_timeout, remaining))
        watchdog = _Watchdog(conn, end)
        try:
            watchdog.start()  # also bounds a TLS handshake
            conn.connect()
            if watchdog.fired:
                raise _Deadline(self.settings.deadline)
            conn.sock.settimeout(self.settings.read_timeout)
            path = parts.path or '/'
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            limit = self.settings.max_response_size
            length = resp.getheader('Content-Length')
            if length and length.isdigit() and int(length) > limit:
                raise _TooLarge(int(length), limit)
            data = resp.read(limit + 1)
            if len(data) > limit:
                raise _TooLarge(len(data), limit)
            if watchdog.fired:
                raise _Deadline(self.settings.deadline)
            return Response(resp.status,
                            resp.getheader('Content-Type', '') or '',
                            data)
        except (OSError, http.client.HTTPException):
            if watchdog.fired or time.monotonic() >= end:
                raise _Deadline(self.settings.deadline)
            raise
        finally:
            watchdog.cancel()
            conn.close()


class _Watchdog:
    """Shuts a connection's socket down at the deadline.

    Socket timeouts restart with every byte received; shutting the socket
    down wakes any read or write blocked on it, so no server can stretch a
    request past the deadline.
    """

    def __init__(self, conn, end):
        self.conn = conn
        self.end = end
        self.fired = False
        self._timer = None

    def start(self):
        self._timer = threading.Timer(max(0.0, self.end - time.monotonic()),
                                      self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self):
        self.fired = True
        sock = self.conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


class _Deadline(http.client.HTTPException):
    def __init__(self, deadline):
        super().__init__('no complete answer within the %gs deadline'
                         % deadline)


class _TooLarge(http.client.HTTPException):
    def __init__(self, size, limit):
        super().__init__('response larger than %d bytes (%s%d)' % (
            limit, '>' if size > limit else '', size))


def _describe(exc):
    if isinstance(exc, (_TooLarge, _Deadline)):
        return str(exc)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return 'timed out'
    if isinstance(exc, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(exc, (ConnectionResetError,
                        http.client.RemoteDisconnected)):
        return 'server closed the connection without answering'
    if isinstance(exc, socket.gaierror):
        return 'cannot resolve host (%s)' % exc.strerror
    if isinstance(exc, (http.client.BadStatusLine, http.client.LineTooLong,
                        http.client.UnknownProtocol)):
        return 'the answer is not HTTP/1.x'
    if isinstance(exc, http.client.IncompleteRead):
        return 'the answer ended early (%d bytes read)' % len(exc.partial)
    if isinstance(exc, (ValueError, UnicodeError)):
        return 'cannot send the request (%s)' % _printable(exc)
    return '%s: %s' % (type(exc).__name__, _printable(exc))


def _printable(exc):
    # What a server sent may end up in an exception's text: keep the
    # error one short, printable line.
    text = ''.join(c if c.isprintable() and c.isascii() else '?'
                   for c in str(exc))
    return text[:200]


def _status_hint(status):
    hints = {400: ' (bad request)', 404: ' (unknown key or path)',
             403: ' (forbidden: not an exchange key)',
             413: ' (request too large)', 414: ' (URL too long)',
             500: ' (server error: does the server have keys?)'}
    return hints.get(status, '')
