"""The one small HTTP client of ironic-nbde (the Tang protocol's I/O edge).

Plain ``http.client`` keeps it light enough for an IPA ramdisk and quick to
import. Every request has a connect timeout and a read timeout, a bounded
number of retries with exponential backoff for transient failures, and a cap
on the response size. Errors name the method, the URL and the cause.
"""

import dataclasses
import http.client
import socket
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


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


def normalize_url(url):
    """Return a Tang base URL with a scheme and without a trailing slash.

    clevis passes the URL to curl, which assumes http:// when the scheme is
    missing; do the same.
    """
    if not isinstance(url, str) or not url.strip():
        raise exception.InvalidConfig(what='tang', reason='empty url')
    url = url.strip()
    if '://' not in url:
        url = 'http://' + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise exception.InvalidConfig(
            what='tang', reason='url %r is not an http(s) URL' % url)
    return url.rstrip('/')


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
        """Send one request, retrying transient failures.

        :returns: a :class:`Response` with a 2xx status.
        :raises: TangHTTPError naming the method, URL and cause.
        """
        attempts = self.settings.retries + 1
        delay = self.settings.retry_backoff
        for attempt in range(1, attempts + 1):
            try:
                resp = self._once(method, url, body, headers or {})
            except (OSError, http.client.HTTPException) as exc:
                reason = _describe(exc)
                if attempt < attempts and not isinstance(exc, _TooLarge):
                    LOG.debug('%s %s attempt %d failed (%s); retrying',
                              method, url, attempt, reason)
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise exception.TangHTTPError(
                    method=method, url=url,
                    reason='%s (after %d attempt%s)' % (
                        reason, attempt, '' if attempt == 1 else 's'))
            if resp.status in _RETRY_STATUSES and attempt < attempts:
                LOG.debug('%s %s returned HTTP %d; retrying',
                          method, url, resp.status)
                time.sleep(delay)
                delay *= 2
                continue
            if not 200 <= resp.status < 300:
                raise exception.TangHTTPError(
                    method=method, url=url,
                    reason='HTTP %d%s' % (resp.status,
                                          _status_hint(resp.status)))
            return resp

    def _once(self, method, url, body, headers):
        parts = urllib.parse.urlsplit(url)
        cls = (http.client.HTTPSConnection if parts.scheme == 'https'
               else http.client.HTTPConnection)
        conn = cls(parts.hostname, parts.port,
                   timeout=self.settings.connect_timeout)
        try:
            conn.connect()
            conn.sock.settimeout(self.settings.read_timeout)
            path = parts.path or '/'
            if parts.query:
                path += '?' + parts.query
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            limit = self.settings.max_response_size
            length = resp.getheader('Content-Length')
            if length and length.isdigit() and int(length) > limit:
                raise _TooLarge(int(length), limit)
            data = resp.read(limit + 1)
            if len(data) > limit:
                raise _TooLarge(len(data), limit)
            return Response(resp.status,
                            resp.getheader('Content-Type', '') or '',
                            data)
        finally:
            conn.close()


class _TooLarge(http.client.HTTPException):
    def __init__(self, size, limit):
        super().__init__('response larger than %d bytes (%s%d)' % (
            limit, '>' if size > limit else '', size))


def _describe(exc):
    if isinstance(exc, _TooLarge):
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
    return '%s: %s' % (type(exc).__name__, exc)


def _status_hint(status):
    hints = {400: ' (bad request)', 404: ' (unknown key or path)',
             403: ' (forbidden: not an exchange key)',
             413: ' (request too large)', 414: ' (URL too long)',
             500: ' (server error: does the server have keys?)'}
    return hints.get(status, '')
