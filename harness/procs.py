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

"""Processes the harness starts: tracked by PID, ended by PID, logged."""

import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout, proc=None, what='service'):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('%s exited with %s before listening on %d'
                               % (what, proc.returncode, port))
        try:
            with socket.create_connection(('127.0.0.1', port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('%s did not listen on 127.0.0.1:%d within %ds'
                       % (what, port, timeout))


class Procs:
    """Start processes with their output in log files; stop them by PID."""

    def __init__(self, logdir):
        self.logdir = logdir
        self._procs = []

    def log_path(self, name):
        return os.path.join(self.logdir, name + '.log')

    def start(self, name, cmd, env=None, new_session=True):
        log = open(self.log_path(name), 'ab')
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env,
                                start_new_session=new_session)
        log.close()
        proc.nbde_name = name
        self._procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self._procs:
            self._procs.remove(proc)

    def stop_named(self, prefix):
        """Stop every process whose name starts with ``prefix``."""
        for proc in reversed(list(self._procs)):
            if proc.nbde_name.startswith(prefix):
                self.stop(proc)

    def stop_all(self):
        for proc in reversed(list(self._procs)):
            self.stop(proc)
