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

"""The libvirt domain of one VM node: q35, OVMF, TCG, two virtio disks.

Its only network is qemu's user net with ``restrict=on``: the guest
reaches nothing but the ``guestfwd`` addresses, each connected (one
``socat`` per connection) to a port on the host's 127.0.0.1, and the host
reaches the agent through one ``hostfwd`` bound to 127.0.0.1. libvirt has
no ``<interface>`` for this, so the NIC is passed on qemu's command line
(with a PCI address: without one it collides with libvirt's devices).
Each disk and the virtual-media CD carry a per-device boot order: OVMF
connects only devices in the boot order, and sushy-tools rewrites them
when Ironic sets the boot device.

With ``tpm=True`` the VM has a TPM 2.0 (``tpm-crb``) emulated by swtpm,
which libvirt starts beside qemu and whose state it keeps (created at the
first start) under ``/var/lib/libvirt/swtpm/<uuid>/tpm2/``: the ramdisk
and the deployed OS see the same TPM, across power cycles.
"""

from xml.sax import saxutils

from harness import guest

# The firmware the first-boot tests boot the same disks with.
OVMF_CODE, OVMF_VARS = guest.OVMF_CODE, guest.OVMF_VARS
AGENT_PORT = 9999


def netdev(forwards, agent_host_port):
    """The ``-netdev`` value.

    :param forwards: [(guest ip, guest port, host loopback port)].
    :param agent_host_port: host 127.0.0.1 port forwarded to the agent.
    """
    opts = ['user', 'id=n0', 'restrict=on',
            'hostfwd=tcp:127.0.0.1:%d-:%d' % (agent_host_port, AGENT_PORT)]
    opts += ['guestfwd=tcp:%s:%d-cmd:socat - TCP:127.0.0.1:%d' % fwd
             for fwd in sorted(forwards)]
    return ','.join(opts)


def _disk(path, dev, serial, boot):
    return ("<disk type='file' device='disk'>"
            "<driver name='qemu' type='raw' cache='unsafe'/>"
            "<source file=%s/><target dev='%s' bus='virtio'/>"
            "<serial>%s</serial>%s</disk>" % (
                saxutils.quoteattr(path), dev, serial,
                "<boot order='%d'/>" % boot if boot else ''))


TPM = ("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/>"
       "</tpm>")


def xml(name, uuid, mac, disks, nvram, console, report, forwards,
        agent_host_port, memory_mib=3072, tpm=False):
    """The domain XML.

    :param disks: [(path, serial)]: the first is the root disk.
    :param console, report: files for serial ports 0 and 1 (appended to
        across boots).
    :param tpm: give the VM an emulated TPM 2.0 (:data:`TPM`).
    """
    devices = [_disk(path, 'vd' + chr(ord('a') + i), serial,
                     1 if i == 0 else 0)
               for i, (path, serial) in enumerate(disks)]
    devices.append("<disk type='file' device='cdrom'>"
                   "<driver name='qemu' type='raw'/>"
                   "<target dev='sda' bus='sata'/><readonly/>"
                   "<boot order='2'/></disk>")
    for port, path in enumerate((console, report)):
        devices.append("<serial type='file'><source path=%s append='on'/>"
                       "<target port='%d'/></serial>"
                       % (saxutils.quoteattr(path), port))
    if tpm:
        devices.append(TPM)
    devices.append("<memballoon model='none'/>")
    args = ['-netdev', netdev(forwards, agent_host_port), '-device',
            'virtio-net-pci,netdev=n0,mac=%s,bus=pcie.0,addr=0x0c' % mac]
    return '''<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%(name)s</name>
  <uuid>%(uuid)s</uuid>
  <memory unit='MiB'>%(memory)d</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>%(code)s</loader>
    <nvram template='%(vars)s'>%(nvram)s</nvram>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='maximum' check='none'/>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    %(devices)s
  </devices>
  <qemu:commandline>
    %(args)s
  </qemu:commandline>
</domain>
''' % {'name': name, 'uuid': uuid, 'memory': memory_mib, 'code': OVMF_CODE,
       'vars': OVMF_VARS, 'nvram': saxutils.escape(nvram),
       'devices': '\n    '.join(devices),
       'args': '\n    '.join('<qemu:arg value=%s/>' % saxutils.quoteattr(a)
                              for a in args)}
