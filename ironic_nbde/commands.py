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

"""The one exec edge of ironic-nbde: every external command runs here.

No shell; a timeout on every call; secrets only on standard input or on an
inherited pipe (``/dev/fd/N``), never in argv; the argv and the command's
stderr logged at debug level only. :func:`run` returns the exit code: the
callers (:mod:`ironic_nbde.luks.cryptsetup`, :mod:`ironic_nbde.blockdev`)
map exit codes to their own errors. It raises only when the command could
not run to its end: :class:`~ironic_nbde.exception.CommandNotFound`,
:class:`~ironic_nbde.exception.CommandTimedOut`.
"""

import contextlib
import dataclasses
import os
import subprocess

from oslo_log import log

from ironic_nbde import exception
from ironic_nbde.conf import CONF

LOG = log.getLogger(__name__)

# Marker in an argv: replaced by /dev/fd/N of a pipe holding ``new_key``.
NEW_KEY = object()
# ``timeout=NO_TIMEOUT``: a long operation bounded by its own progress
# (an offline re-encryption of a whole disk).
NO_TIMEOUT = object()


@dataclasses.dataclass(frozen=True)
class Result:
    """How a command ended. ``argv`` never holds a secret."""

    argv: list
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def name(self):
        """``cryptsetup luksFormat``: the program and its action."""
        return ' '.join([os.path.basename(self.argv[0])] + self.argv[1:2])


@contextlib.contextmanager
def _secret_pipe(data):
    """A pipe already holding ``data`` (a few bytes: fits the buffer)."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)
    finally:
        os.close(write_fd)
    try:
        yield read_fd
    finally:
        os.close(read_fd)


def run(argv, device=None, stdin=None, new_key=None, timeout=None):
    """Run a command to its end; return its :class:`Result`.

    :param argv: the command as a list; it must never hold a secret.
    :param device: the device concerned, for log lines and errors.
    :param stdin: bytes fed on standard input (the place for secrets).
    :param new_key: a second secret, passed through an inherited pipe that
        replaces the :data:`NEW_KEY` marker in ``argv``.
    :param timeout: seconds, :data:`NO_TIMEOUT`, or None for
        ``[nbde_luks]command_timeout``.
    :raises: CommandNotFound, CommandTimedOut (naming command and device).
    """
    if timeout is None:
        timeout = CONF.nbde_luks.command_timeout
    elif timeout is NO_TIMEOUT:
        timeout = None
    shown = [a for a in argv if a is not NEW_KEY]
    name = ' '.join([os.path.basename(str(argv[0]))] + [
        str(a) for a in shown[1:2]])
    with contextlib.ExitStack() as stack:
        fds = ()
        if new_key is not None:
            fd = stack.enter_context(_secret_pipe(new_key))
            fds = (fd,)
            argv = ['/dev/fd/%d' % fd if a is NEW_KEY else a for a in argv]
        LOG.debug('Running %s', argv)
        try:
            proc = subprocess.run(argv, input=stdin or b'',
                                  capture_output=True, pass_fds=fds,
                                  timeout=timeout, check=False)
        except FileNotFoundError:
            raise exception.CommandNotFound(command=name,
                                            device=device or '-')
        except subprocess.TimeoutExpired:
            raise exception.CommandTimedOut(command=name,
                                            device=device or '-',
                                            timeout=timeout)
    if proc.stderr:
        LOG.debug('%s on %s (exit %d): %s', name, device, proc.returncode,
                  proc.stderr.decode('utf-8', 'replace').strip())
    return Result(argv=list(argv), returncode=proc.returncode,
                  stdout=proc.stdout, stderr=proc.stderr)
