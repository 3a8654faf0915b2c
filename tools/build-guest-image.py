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

"""Build the NBDE guest image here, without diskimage-builder.

The same recipe as ``elements/ironic-nbde-guest`` (whose files it reuses):
a Debian 12 root tree from ``debootstrap --variant=minbase`` (cached as a
tarball), configured for first-boot unlocking through Tang (clevis in the
initramfs, network there, crypttab by LUKS UUID), then a whole-disk GPT
image that boots by itself under UEFI: an ESP holding systemd-boot (also
at the removable-media path ``\\EFI\\BOOT\\BOOTX64.EFI``, so firmware with
empty NVRAM finds it), the kernel, the initramfs and a loader entry with
the kernel command line (``CMDLINE``), all put there by the element's own
``bootctl install`` / ``kernel-install`` in the chroot, the ESP copied into
a FAT file system with mtools; then a LUKS2 root carrying a published
provisioning passphrase (the default), or a plain ext4 root that ends
32 MiB before its partition does (``--plain``) so the deploy step can
encrypt it in place. Nothing boot-related is on the root: both variants
boot the same way.

The chroot steps run in a private mount namespace (``unshare --mount``)
whose chroot has a tmpfs /dev holding only null, zero, full, random and
urandom: the host's disks are never visible to it. No device-mapper is
needed: the LUKS2 root is made by offline ``cryptsetup reencrypt
--encrypt`` on a file.

Usage: build-guest-image.py OUTDIR [--plain] [--qemu-only] [--reuse]
                            [--cache DIR]
Writes OUTDIR/{disk.img, image.json}; the root tree tarball is cached in
--cache ($NBDE_CACHE, default /var/cache/ironic-nbde). Needs root,
debootstrap (first run only), zstd, cryptsetup, e2fsprogs, dosfstools,
mtools, fdisk. $NBDE_DEBIAN_MIRROR overrides deb.debian.org.
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
import time
import uuid

from harness import images

HERE = os.path.dirname(os.path.abspath(__file__))
ELEMENT = os.path.join(os.path.dirname(HERE), 'elements', 'ironic-nbde-guest')
MIB = 1 << 20
HEADER_MIB = 32  # room for the LUKS2 header (see images.encrypt)
# Published with the image, not a secret: the deploy step removes it.
PROVISIONING_PASSPHRASE = 'nbde-guest-provisioning'  # noqa: S105
SUITE = 'bookworm'
CMDLINE = ('console=ttyS0 root=/dev/mapper/root ip=:::::eth0:dhcp '
           'net.ifnames=0 norandmaps panic=-1 quiet')


def log(msg):
    print('[build-guest-image %s] %s' % (time.strftime('%H:%M:%S'), msg),
          file=sys.stderr, flush=True)


def run(*cmd, stdin=None, capture=True):
    """Run a command; its output is returned, or (``capture=False``) goes
    to stderr: stdout is for the image description only."""
    proc = subprocess.run(cmd, input=stdin, stdout=(
        subprocess.PIPE if capture else sys.stderr), stderr=(
        subprocess.PIPE if capture else None))
    if proc.returncode:
        raise SystemExit('%s failed (exit %d): %s' % (
            ' '.join(cmd[:2]), proc.returncode,
            (proc.stderr or b'').decode(errors='replace')[-2000:]))
    return proc.stdout


# What diskimage-builder's distribution elements (debian-minimal + a
# kernel) would install before the element's own packages.
BASE_PACKAGES = ('systemd-sysv', 'udev', 'linux-image-amd64', 'kmod',
                 'e2fsprogs')


def packages():
    """The base packages and the element's package-installs.yaml (one
    ``name:`` a line), mapped to Debian names by its pkg-map."""
    with open(os.path.join(ELEMENT, 'pkg-map')) as f:
        debian = json.load(f)['family']['debian']
    with open(os.path.join(ELEMENT, 'package-installs.yaml')) as f:
        names = [ln.split(':')[0].strip() for ln in f
                 if ln.strip() and not ln.startswith('#')]
    return list(BASE_PACKAGES) + [debian.get(n, n) for n in names]


def default_cache():
    return os.environ.get('NBDE_CACHE', '/var/cache/ironic-nbde')


def mirror():
    return os.environ.get('NBDE_DEBIAN_MIRROR', 'http://deb.debian.org/debian')


def in_private_ns(script, *args):
    """Run a shell ``script`` in a private mount namespace."""
    run('unshare', '--mount', '--propagation', 'private', '--',
        'sh', '-euc', script, 'sh', *args, capture=False)


@contextlib.contextmanager
def locked(directory):
    """Hold ``directory``'s build lock: test runs sharing a cache (or two
    concurrent runs on one machine) build each thing once, one at a time."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, '.build.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def tree_tarball(cache):
    with locked(cache):
        return _tree_tarball(cache)


def _tree_tarball(cache):
    """The cached root tree (debootstrap runs only when it is missing)."""
    pkgs = packages()
    key = hashlib.sha256((SUITE + ' '.join(sorted(pkgs))).encode()
                         ).hexdigest()[:12]
    tarball = os.path.join(cache, 'guest-%s-%s.tar.zst' % (SUITE, key))
    if os.path.exists(tarball):
        return tarball
    os.makedirs(cache, exist_ok=True)
    tree = tarball + '.tree'
    shutil.rmtree(tree, ignore_errors=True)
    log('debootstrap %s (minbase + %d packages) -> %s'
        % (SUITE, len(pkgs), tarball))
    start = time.monotonic()
    # debootstrap mounts /proc and /sys in the target: keep those mounts in
    # a namespace of their own; it creates its own device nodes.
    in_private_ns('debootstrap --variant=minbase --include="$1" '
                  '"$2" "$3" "$4" >"$3.log" 2>&1 || '
                  '{ tail -30 "$3.log" >&2; exit 1; }',
                  ','.join(pkgs), SUITE, tree, mirror())
    for sub in ('var/cache/apt/archives', 'var/lib/apt/lists',
                'usr/share/doc', 'usr/share/man', 'usr/share/locale'):
        shutil.rmtree(os.path.join(tree, sub), ignore_errors=True)
        os.makedirs(os.path.join(tree, sub), exist_ok=True)
    run('tar', '-C', tree, '--numeric-owner', '--xattrs', '-I',
        'zstd -T0 -3', '-cf', tarball + '.part', '.')
    os.rename(tarball + '.part', tarball)
    shutil.rmtree(tree)
    log('cached root tree in %.0f s (%d MiB)' % (
        time.monotonic() - start, os.path.getsize(tarball) // MIB))
    return tarball


def write(tree, path, text, mode=0o644):
    path = os.path.join(tree, path.lstrip('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def slim_for_qemu(tree):
    """Test VMs only: drop drivers a qemu guest never uses and build a
    small initramfs with just the VM's drivers (boots ~2x faster under
    TCG). Images for hardware keep the element's MODULES=most."""
    for kver in os.listdir(os.path.join(tree, 'lib', 'modules')):
        kernel = os.path.join(tree, 'lib', 'modules', kver, 'kernel')
        for sub in _QEMU_UNUSED:
            shutil.rmtree(os.path.join(kernel, sub), ignore_errors=True)
    write(tree, '/etc/initramfs-tools/conf.d/zz-qemu-only.conf',
          '# tools/build-guest-image.py --qemu-only\nMODULES=list\n')
    with open(os.path.join(tree, 'etc/initramfs-tools/modules'), 'a') as f:
        f.write('\n'.join(_QEMU_MODULES) + '\n')


def configure(tree, esp, luks_uuid, esp_uuid, data_devices, report=True,
              qemu_only=False):
    """Apply the element's configuration, build the initramfs and install
    the boot loader; the ESP's files end up in the directory ``esp``."""
    shutil.copytree(os.path.join(ELEMENT, 'static'), tree,
                    dirs_exist_ok=True)
    if qemu_only:
        slim_for_qemu(tree)
    write(tree, '/etc/hostname', 'nbde-guest\n')
    # The ESP at /boot/efi, where systemd-boot's hooks put updated kernels.
    write(tree, '/etc/fstab', '/dev/mapper/root / ext4 defaults 0 1\n'
          'UUID=%s /boot/efi vfat umask=0077,nofail 0 0\n' % esp_uuid)
    if report:
        shutil.copy(os.path.join(REPORT, 'nbde-report.service'),
                    os.path.join(tree, 'etc/systemd/system'))
        shutil.copy(os.path.join(REPORT, 'nbde-report'),
                    os.path.join(tree, 'usr/local/sbin'))
    script = os.path.join(ELEMENT, 'finalise.d', '50-ironic-nbde-guest')
    shutil.copy(script, os.path.join(tree, 'tmp', 'configure'))
    env = ['DIB_NBDE_ROOT_LUKS_UUID=%s' % luks_uuid,
           'DIB_NBDE_DATA_DEVICES=%s' % ' '.join(data_devices),
           'DIB_NBDE_KERNEL_CMDLINE=%s' % CMDLINE]
    # A tmpfs /dev with five character devices; /proc for update-initramfs;
    # a tmpfs at /boot/efi stands for the ESP (copied out afterwards).
    in_private_ns(
        't="$1"; report="$2"; esp="$3"; shift 3\n'
        'mkdir -p "$t/boot/efi"\n'
        'mount -t tmpfs -o mode=700 nbde-esp "$t/boot/efi"\n'
        'mount -t tmpfs -o mode=755,nosuid nbde-dev "$t/dev"\n'
        'mknod -m 666 "$t/dev/null" c 1 3; mknod -m 666 "$t/dev/zero" c 1 5\n'
        'mknod -m 666 "$t/dev/full" c 1 7\n'
        'mknod -m 666 "$t/dev/random" c 1 8\n'
        'mknod -m 666 "$t/dev/urandom" c 1 9\n'
        'mount -t proc proc "$t/proc"\n'
        'chroot "$t" sh -c \'for k in /lib/modules/*; do '
        'depmod -a "${k##*/}"; done\'\n'
        'chroot "$t" /usr/bin/env "$@" /bin/bash /tmp/configure\n'
        'if [ "$report" = 1 ]; then chroot "$t" systemctl enable '
        'nbde-report.service; chroot "$t" systemctl mask '
        'serial-getty@ttyS0.service getty@tty1.service; fi\n'
        'cp -a "$t/boot/efi/." "$esp"',
        tree, '1' if report else '0', esp, *env)
    os.unlink(os.path.join(tree, 'tmp', 'configure'))


_QEMU_UNUSED = ('drivers/gpu', 'drivers/media', 'drivers/infiniband',
                'drivers/staging', 'drivers/net/wireless',
                'drivers/net/ethernet', 'drivers/iio', 'drivers/isdn',
                'drivers/bluetooth', 'drivers/usb', 'drivers/hid',
                'drivers/input', 'drivers/scsi', 'drivers/ata', 'drivers/nvme',
                'drivers/md/bcache', 'sound', 'net/wireless', 'net/mac80211',
                'net/bluetooth', 'fs/btrfs', 'fs/xfs', 'fs/ocfs2',
                'fs/nfs', 'fs/cifs', 'fs/smb', 'arch/x86/kvm',
                'drivers/watchdog', 'drivers/i2c', 'drivers/cpufreq',
                'drivers/hwmon', 'drivers/edac')
# tpm_crb (libvirt's tpm-crb model) and tpm_tis: the tpm2 pin in the
# initramfs (clevis's hook adds them too; built-in ones are skipped).
_QEMU_MODULES = ('ext4', 'virtio_pci', 'virtio_blk', 'virtio_net',
                 'dm_crypt', 'xts', 'aesni_intel', 'af_packet', 'tpm_crb',
                 'tpm_tis')

# Test only (not in the element): a oneshot unit that reports the result of
# the first boot on the second serial port (a getty or the kernel on ttyS0
# cannot garble it), then powers off.
REPORT = os.path.join(os.path.dirname(HERE), 'harness',
                      'guest_report')


def esp_size(esp):
    """MiB for the ESP: twice its files (room for a kernel update, which
    installs the new kernel before removing the old) plus 16, at least 64
    (FAT32)."""
    used = int(run('du', '-sb', esp).split()[0])
    return max(64, -(-(2 * used + 16 * MIB) // (8 * MIB)) * 8)


def root_partition(tree, workdir, luks_uuid, plain):
    """The root partition as a file: LUKS2 (or plain ext4 + free room)."""
    used = int(run('du', '-sb', tree).split()[0])
    fs_mib = used * 5 // 4 // MIB + 64
    part = os.path.join(workdir, 'root.part')
    run('truncate', '-s', '%dM' % fs_mib, part)
    run('mkfs.ext4', '-q', '-L', 'root', '-d', tree, '-E',
        'lazy_itable_init=0,lazy_journal_init=0', part)
    run('truncate', '-s', '+%dM' % HEADER_MIB, part)
    if plain:
        return part, None
    passphrase = PROVISIONING_PASSPHRASE.encode()
    images.encrypt(part, passphrase, uuid=luks_uuid)
    return part, images.volume_key_digest(part, passphrase)


def recipe(tarball, *options):
    """A digest of everything the image is made from: the root tree (its
    name carries the package list, systemd-boot included), the options,
    this tool (``CMDLINE``, the ESP sizing), ``images.py`` (GPT, ESP, LUKS
    assembly), the element (its boot loader step) and the report unit."""
    digest = hashlib.sha256(repr((os.path.basename(tarball),
                                  options)).encode())
    paths = [os.path.abspath(__file__), os.path.abspath(images.__file__)]
    for top, _, names in sorted(os.walk(ELEMENT)) + sorted(os.walk(REPORT)):
        paths += [os.path.join(top, n) for n in sorted(names)]
    for path in paths:
        with open(path, 'rb') as f:
            digest.update(path.encode() + f.read())
    return digest.hexdigest()


def reusable(outdir, digest):
    """The description of an image already built from ``digest``."""
    try:
        with open(os.path.join(outdir, 'image.json')) as f:
            image = json.load(f)
    except (OSError, ValueError):
        return None
    if image.get('recipe') != digest or not all(
            os.path.exists(image[k]) for k in ('path',)):
        return None
    return image


def build(outdir, *args, **kwargs):
    """Build the image into ``outdir`` (see :func:`_build`), holding its
    lock."""
    with locked(outdir):
        return _build(outdir, *args, **kwargs)


def _build(outdir, plain=False, cache=None, data_devices=('/dev/vdb',),
           report=True, qemu_only=False, reuse=False, keyed=False):
    """Build the image into ``outdir``; returns its description (dict).

    :param reuse: return the image already in ``outdir`` if it was built
        from the same recipe (tool, element, tree, options).
    :param keyed: build into ``outdir/<recipe digest>`` instead, so that an
        image in use (by a concurrent test run) is never replaced.
    """
    start = time.monotonic()
    tarball = tree_tarball(cache or default_cache())
    made_of = recipe(tarball, plain, list(data_devices), report, qemu_only)
    outdir = os.path.abspath(os.path.join(outdir, made_of[:16]) if keyed
                             else outdir)
    os.makedirs(outdir, exist_ok=True)
    if reuse and reusable(outdir, made_of):
        log('reusing %s (same recipe)' % outdir)
        return reusable(outdir, made_of)
    # vmlinuz and initrd.img: left by builds from before the image booted
    # by itself.
    for name in ('image.json', 'vmlinuz', 'initrd.img'):
        if os.path.exists(os.path.join(outdir, name)):
            os.unlink(os.path.join(outdir, name))
    cached = time.monotonic()
    work = os.path.join(outdir, 'work')
    shutil.rmtree(work, ignore_errors=True)
    tree = os.path.join(work, 'tree')
    os.makedirs(tree)
    try:
        run('tar', '-C', tree, '--numeric-owner', '--xattrs', '-I', 'zstd',
            '-xf', tarball)
        luks_uuid = str(uuid.uuid4())
        esp_id = uuid.uuid4().hex[:8].upper()  # FAT volume id
        esp_uuid = '%s-%s' % (esp_id[:4], esp_id[4:])
        esp = os.path.join(work, 'esp')
        os.makedirs(esp)
        configure(tree, esp, luks_uuid, esp_uuid, data_devices, report,
                  qemu_only)
        part, vk_digest = root_partition(tree, work, luks_uuid, plain)
        disk = os.path.join(outdir, 'disk.img')
        digest = images.gpt_disk(disk, part, esp_size(esp), esp, esp_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    image = {'path': disk, 'sha256': digest, 'size': os.path.getsize(disk),
             'luks_uuid': luks_uuid, 'volume_key_sha256': vk_digest,
             'plain': plain, 'root_partition': 2, 'qemu_only': qemu_only,
             'provisioning_passphrase':
                 None if plain else PROVISIONING_PASSPHRASE,
             # Boots by itself: UEFI firmware -> systemd-boot on the ESP
             # (partition 1) -> kernel + initramfs there, this command line.
             'boot': 'uefi', 'bootloader': 'systemd-boot',
             'esp_partition': 1, 'esp_uuid': esp_uuid,
             'cmdline': CMDLINE, 'data_devices': list(data_devices),
             'recipe': made_of, 'tree_seconds': round(cached - start, 1),
             'build_seconds': round(time.monotonic() - start, 1)}
    with open(os.path.join(outdir, 'image.json'), 'w') as f:
        json.dump(image, f, indent=1)
    log('image %s (%d MiB) in %.0f s' % (disk, image['size'] // MIB,
                                         image['build_seconds']))
    return image


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('outdir')
    parser.add_argument('--plain', action='store_true',
                        help='plain ext4 root with room for in-place '
                             'encryption by the deploy step')
    parser.add_argument('--cache', default=default_cache(),
                        help='where the root tree tarball is cached '
                             '(default: $NBDE_CACHE or %(default)s)')
    parser.add_argument('--qemu-only', action='store_true',
                        help='for test VMs: drop drivers qemu never uses, '
                             'small initramfs (boots faster under TCG)')
    parser.add_argument('--reuse', action='store_true',
                        help='keep an image OUTDIR already holds if it was '
                             'built from the same recipe')
    parser.add_argument('--keyed', action='store_true',
                        help='build into OUTDIR/<recipe digest> (with '
                             '--reuse: one image per recipe, never '
                             'replaced while another run uses it)')
    parser.add_argument('--tree-only', action='store_true',
                        help='only build (or find) the cached root tree')
    args = parser.parse_args()
    if args.tree_only:
        print(tree_tarball(args.cache))
        return
    print(json.dumps(build(args.outdir, args.plain, args.cache,
                           qemu_only=args.qemu_only, reuse=args.reuse,
                           keyed=args.keyed),
                     indent=1))


if __name__ == '__main__':
    main()
