#!/usr/bin/env python3
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

"""Build the Ironic Python Agent ramdisk with ironic-nbde in it.

Real diskimage-builder + ironic-python-agent-builder (pinned, in a venv of
their own under the cache) build a Debian bookworm ``debian-minimal``
ramdisk with the project's ``elements/ironic-nbde-ramdisk``. The sources
DIB's elements would clone from OpenDev come from local git repositories
made here instead: ironic-python-agent and glean from their PyPI sdists,
a requirements repository whose ``upper-constraints.txt`` pins what IPA's
own requirements (and ironic-nbde's agent extra) resolve to, and the
project's current tree.

The result is cached under a digest of every input (this tool, the
elements, the project's source files, the pinned versions, extra
elements): a build with unchanged inputs is reused at once.

Usage: build-ramdisk.py OUTDIR [--cache DIR] [--elements-path DIR]...
                        [--element NAME]...
Writes OUTDIR/{ipa.kernel, ipa.initramfs, ramdisk.json} (links into the
cache) and prints ramdisk.json. Needs root, sudo, debootstrap, git, cpio.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELEMENTS = os.path.join(ROOT, 'elements')
PINS = {'diskimage-builder': '3.43.0',
        'ironic-python-agent-builder': '7.4.0',
        'ironic-python-agent': '13.0.0',
        'glean': '1.25.1'}
RELEASE = 'bookworm'
MIRRORS = {'DIB_DISTRIBUTION_MIRROR': 'http://deb.debian.org/debian',
           'DIB_DEBIAN_SECURITY_MIRROR': 'http://deb.debian.org/debian-security'}
# DIB's ``sudo -E chroot`` carries these in; REQUESTS_CA_BUNDLE would
# override pip's certificate inside the chroot.
UNSET = ('REQUESTS_CA_BUNDLE', 'PIP_CERT', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
         'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'PIP_FIND_LINKS',
         'PIP_CONSTRAINT', 'PIP_EXTRA_INDEX_URL', 'VIRTUAL_ENV')
SOURCE_FILES = ('ironic_nbde', 'setup.cfg', 'setup.py', 'pyproject.toml',
                'requirements.txt', 'README.md', 'LICENSE')
# Copied (pbr reads them) but no input of the ramdisk's behaviour: editing
# the documentation does not rebuild it.
UNHASHED = ('README.md', 'LICENSE')


def log(msg):
    print('[build-ramdisk %s] %s' % (time.strftime('%H:%M:%S'), msg),
          file=sys.stderr, flush=True)


def run(*cmd, cwd=None, env=None, capture=True):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=(
        subprocess.PIPE if capture else sys.stderr), stderr=(
        subprocess.PIPE if capture else None), text=True)
    if proc.returncode:
        raise SystemExit('%s failed (exit %d): %s' % (
            ' '.join(cmd[:3]), proc.returncode, (proc.stderr or '')[-3000:]))
    return proc.stdout


def _files(path):
    if os.path.isfile(path):
        yield path
        return
    for top, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            if not name.endswith('.pyc'):
                yield os.path.join(top, name)


def digest(extra_paths, elements):
    """One digest over every input of the build."""
    h = hashlib.sha256(json.dumps([PINS, RELEASE, MIRRORS, elements],
                                  sort_keys=True).encode())
    paths = [os.path.abspath(__file__), os.path.join(ELEMENTS,
                                                     'ironic-nbde-ramdisk')]
    paths += [os.path.join(ROOT, p) for p in SOURCE_FILES
              if p not in UNHASHED]
    paths += [os.path.join(d, e) for d in extra_paths for e in elements
              if os.path.isdir(os.path.join(d, e))]
    for path in paths:
        for f in _files(path):
            h.update(os.path.relpath(f, ROOT).encode() + b'\0')
            with open(f, 'rb') as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


@contextlib.contextmanager
def locked(path):
    with open(path, 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def tools_venv(cache):
    """A venv with the pinned DIB and IPA-builder (made once)."""
    key = hashlib.sha256(json.dumps(PINS, sort_keys=True).encode()
                         ).hexdigest()[:12]
    venv = os.path.join(cache, 'ramdisk-tools', 'venv-' + key)
    if not os.path.exists(os.path.join(venv, '.done')):
        log('creating the DIB venv %s' % venv)
        shutil.rmtree(venv, ignore_errors=True)
        run('/usr/bin/python3', '-m', 'venv', venv)
        run(os.path.join(venv, 'bin', 'pip'), 'install', '-q',
            'diskimage-builder==' + PINS['diskimage-builder'],
            'ironic-python-agent-builder=='
            + PINS['ironic-python-agent-builder'])
        open(os.path.join(venv, '.done'), 'w').close()
    return venv


def git_repo(path, tag):
    """Make ``path`` a git repository with one commit tagged ``tag``."""
    git = ['git', '-c', 'user.name=ironic-nbde', '-c',
           'user.email=ironic-nbde@localhost', '-c',
           'init.defaultBranch=master']
    run(*git, 'init', '-q', cwd=path)
    run(*git, 'add', '-A', '-f', '.', cwd=path)
    run(*git, 'commit', '-q', '-m', 'import %s' % tag, cwd=path)
    run(*git, 'tag', tag, cwd=path)


def sdist_repo(venv, name, version, workdir):
    dl = os.path.join(workdir, 'sdists')
    run(os.path.join(venv, 'bin', 'pip'), 'download', '-q', '--no-deps',
        '--no-binary', ':all:', '-d', dl, '%s==%s' % (name, version))
    archive = next(f for f in os.listdir(dl) if f.lower().replace(
        '_', '-').startswith('%s-%s' % (name, version)))
    with tarfile.open(os.path.join(dl, archive)) as tar:
        tar.extractall(workdir, filter='data')
    top = next(d for d in os.listdir(workdir) if d.lower().replace(
        '_', '-') == '%s-%s' % (name, version))
    repo = os.path.join(workdir, name)
    os.rename(os.path.join(workdir, top), repo)
    git_repo(repo, version)
    return repo


def project_repo(workdir):
    repo = os.path.join(workdir, 'ironic-nbde')
    os.makedirs(repo)
    for name in SOURCE_FILES:
        src = os.path.join(ROOT, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(repo, name), ignore=(
                shutil.ignore_patterns('__pycache__', '*.pyc')))
        elif os.path.exists(src):
            shutil.copy(src, repo)
    git_repo(repo, '0.0.1.dev0')
    return repo


def requirements_repo(venv, ipa, nbde, workdir):
    """upper-constraints.txt: what IPA (and our agent extra) resolve to,
    for the ramdisk's Python (bookworm's python3, as this venv's)."""
    report = os.path.join(workdir, 'resolve.json')
    run(os.path.join(venv, 'bin', 'pip'), 'install', '-q', '--dry-run',
        '--ignore-installed', '--report', report, ipa, nbde + '[agent]')
    with open(report) as f:
        items = json.load(f)['install']
    pins = sorted('%s===%s' % (i['metadata']['name'], i['metadata']['version'])
                  for i in items if i['metadata']['name'].lower().replace(
                      '_', '-') not in ('ironic-nbde', 'ironic-python-agent'))
    repo = os.path.join(workdir, 'requirements')
    os.makedirs(repo)
    with open(os.path.join(repo, 'upper-constraints.txt'), 'w') as f:
        f.write('\n'.join(pins) + '\n')
    with open(os.path.join(repo, 'global-requirements.txt'), 'w') as f:
        f.write('')
    git_repo(repo, 'generated')
    return repo, len(pins)


def build(cache, extra_paths, elements):
    key = digest(extra_paths, elements)
    out = os.path.join(cache, 'ramdisk', key[:16])
    done = os.path.join(out, 'ramdisk.json')
    os.makedirs(os.path.join(cache, 'ramdisk'), exist_ok=True)
    with locked(os.path.join(cache, 'ramdisk', '.build.lock')):
        if os.path.exists(done):
            log('reusing the ramdisk built from these inputs (%s)' % out)
            with open(done) as f:
                return json.load(f)
        start = time.monotonic()
        shutil.rmtree(out, ignore_errors=True)
        work = os.path.join(out, 'work')
        os.makedirs(work)
        venv = tools_venv(cache)
        log('local git repositories from PyPI sdists and this tree')
        ipa = sdist_repo(venv, 'ironic-python-agent',
                         PINS['ironic-python-agent'], work)
        glean = sdist_repo(venv, 'glean', PINS['glean'], work)
        nbde = project_repo(work)
        reqs, n_pins = requirements_repo(venv, ipa, nbde, work)
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        env.update(MIRRORS)
        env.update({
            'PATH': os.path.join(venv, 'bin') + os.pathsep + env['PATH'],
            'ELEMENTS_PATH': os.pathsep.join([ELEMENTS] + extra_paths),
            'DIB_RELEASE': RELEASE, 'TMPDIR': work,
            'DIB_REPOLOCATION_ironic_python_agent': ipa,
            'DIB_REPOREF_ironic_python_agent': PINS['ironic-python-agent'],
            'DIB_REPOLOCATION_glean': glean,
            'DIB_REPOREF_glean': PINS['glean'],
            'DIB_REPOLOCATION_requirements': reqs,
            'DIB_REPOREF_requirements': 'generated',
            'DIB_REPOLOCATION_ironic_nbde': nbde,
            'DIB_REPOREF_ironic_nbde': '0.0.1.dev0',
        })
        cmd = [os.path.join(venv, 'bin', 'ironic-python-agent-builder'),
               '-o', os.path.join(out, 'ipa'), '-r', RELEASE,
               '-e', 'ironic-nbde-ramdisk']
        for element in elements:
            cmd += ['-e', element]
        log('disk-image-create (log: %s/build.log)' % out)
        with open(os.path.join(out, 'build.log'), 'w') as logf:
            proc = subprocess.run(cmd + ['debian-minimal'], env=env,
                                  stdout=logf, stderr=subprocess.STDOUT)
        if proc.returncode:
            raise SystemExit('ironic-python-agent-builder failed (exit %d); '
                             'see %s/build.log' % (proc.returncode, out))
        shutil.rmtree(work, ignore_errors=True)
        with open(os.path.join(out, 'build.log')) as f:
            loaded = [ln.strip() for ln in f if 'ironic-nbde: IPA loads' in ln]
        info = {'kernel': os.path.join(out, 'ipa.kernel'),
                'initramfs': os.path.join(out, 'ipa.initramfs'),
                'digest': key, 'versions': PINS, 'release': RELEASE,
                'upper_constraints': n_pins, 'manager_check': loaded[-1:],
                'build_seconds': round(time.monotonic() - start, 1)}
        for name in ('kernel', 'initramfs'):
            info[name + '_bytes'] = os.path.getsize(info[name])
        with open(done + '.tmp', 'w') as f:
            json.dump(info, f, indent=1)
        os.rename(done + '.tmp', done)
        return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('outdir')
    parser.add_argument('--cache', default=os.environ.get(
        'NBDE_CACHE', '/var/cache/ironic-nbde'))
    parser.add_argument('--elements-path', action='append', default=[])
    parser.add_argument('--element', action='append', default=[])
    args = parser.parse_args(argv)
    info = build(args.cache, [os.path.abspath(p) for p in args.elements_path],
                 args.element)
    os.makedirs(args.outdir, exist_ok=True)
    for name in ('kernel', 'initramfs'):
        link = os.path.join(args.outdir, 'ipa.' + name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(info[name], link)
    with open(os.path.join(args.outdir, 'ramdisk.json'), 'w') as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


if __name__ == '__main__':
    main()
