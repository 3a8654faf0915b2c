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

"""The EFI system partition image Ironic embeds in its virtual-media ISO.

Ironic (``[DEFAULT] esp_image``) copies this FAT image into the ISO it
builds from the deploy kernel and ramdisk and writes its GRUB menu to
``/EFI/BOOT/grub.cfg`` of the ISO. The image holds one GRUB EFI binary
(``grub-mkimage``, Debian's grub-efi-amd64-bin) at the removable-media
path, whose embedded configuration finds that menu on the ISO and loads
it; a serial terminal so its output reaches the console log.
"""

import os
import subprocess

GRUB_MODULES = ('part_gpt part_msdos fat iso9660 search search_fs_file '
                'configfile normal linux echo test gzio efi_gop all_video '
                'serial terminal').split()
EMBEDDED = '''\
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
search --no-floppy --set=root --file /EFI/BOOT/grub.cfg
set prefix=($root)/EFI/BOOT
configfile ($root)/EFI/BOOT/grub.cfg
'''


def missing():
    gaps = [p for p in ('/usr/bin/grub-mkimage',
                        '/usr/lib/grub/x86_64-efi/linux.mod',
                        '/usr/bin/mcopy', '/usr/sbin/mkfs.vfat',
                        '/usr/bin/mkisofs') if not os.path.exists(p)]
    return ', '.join(gaps) or None


def build(workdir):
    """Write ``workdir/esp.img``; return its path."""
    os.makedirs(workdir, exist_ok=True)
    cfg = os.path.join(workdir, 'grub-embedded.cfg')
    efi = os.path.join(workdir, 'BOOTX64.EFI')
    img = os.path.join(workdir, 'esp.img')
    with open(cfg, 'w') as f:
        f.write(EMBEDDED)
    subprocess.run(['grub-mkimage', '-O', 'x86_64-efi', '-o', efi,
                    '-p', '/EFI/BOOT', '-c', cfg] + GRUB_MODULES,
                   check=True, capture_output=True)
    if os.path.exists(img):
        os.unlink(img)
    subprocess.run(['mkfs.vfat', '-C', img, '8192'], check=True,
                   capture_output=True)
    for cmd in (['mmd', '-i', img, '::/EFI', '::/EFI/BOOT'],
                ['mcopy', '-i', img, efi, '::/EFI/BOOT/BOOTX64.EFI']):
        subprocess.run(cmd, check=True, capture_output=True)
    return img
