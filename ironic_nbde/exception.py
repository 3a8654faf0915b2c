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

"""The one exception root of ironic-nbde.

Every error carries a message template (``_msg_fmt``) filled from keyword
arguments, so the text always names the object (URL, device) and the cause.
Messages never include secrets: callers pass only metadata.
"""


class NbdeError(Exception):
    """Base class of every ironic-nbde error.

    The keyword arguments stay available, structured, in ``kwargs`` (and
    as attributes where a caller branches on them, such as
    :attr:`TangHTTPError.status` and :attr:`LuksError.code`): nothing
    decides anything on the text of a message.
    """

    _msg_fmt = "An unknown NBDE error occurred."

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if not message:
            try:
                message = self._msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                # A template/argument mismatch is a programming error; keep
                # the template rather than hiding the original failure.
                message = self._msg_fmt
        super().__init__(message)


class InvalidConfig(NbdeError):
    _msg_fmt = "Invalid %(what)s configuration: %(reason)s"


class TangHTTPError(NbdeError):
    _msg_fmt = "Tang request %(method)s %(url)s failed: %(reason)s"

    @property
    def status(self):
        """The HTTP status the server answered, or None (no answer)."""
        return self.kwargs.get('status')


class AdvertisementError(NbdeError):
    _msg_fmt = "Tang advertisement from %(source)s rejected: %(reason)s"


class UntrustedAdvertisement(AdvertisementError):
    _msg_fmt = ("Tang advertisement from %(source)s is not trusted: "
                "%(reason)s")


class JWEError(NbdeError):
    _msg_fmt = "Invalid clevis JWE: %(reason)s"


class RecoveryError(NbdeError):
    _msg_fmt = "Key recovery through Tang server %(url)s failed: %(reason)s"


class InsufficientShares(NbdeError):
    _msg_fmt = ("sss policy needs %(t)d of %(n)d pins but only %(got)d "
                "succeeded: %(errors)s")


class CommandError(NbdeError):
    _msg_fmt = "Command %(command)s on %(device)s failed: %(reason)s"


class CommandNotFound(CommandError):
    _msg_fmt = "Command %(command)s (for %(device)s) is not installed"


class CommandTimedOut(CommandError):
    _msg_fmt = "Command %(command)s on %(device)s timed out after %(timeout)ss"


class TpmError(NbdeError):
    _msg_fmt = "TPM2 %(operation)s on %(tpm)s failed: %(reason)s"


class DeviceProbeError(NbdeError):
    _msg_fmt = "Cannot read the layout of %(device)s: %(reason)s"


class LuksError(NbdeError):
    _msg_fmt = "LUKS operation on %(device)s failed: %(reason)s"

    @property
    def code(self):
        """cryptsetup's exit status, when a command failed; else None."""
        return self.kwargs.get('code')


class DeviceNotFound(LuksError):
    _msg_fmt = "Device %(device)s does not exist or cannot be opened"


class NotLuks(LuksError):
    _msg_fmt = "Device %(device)s has no LUKS header"


class UnsupportedLuksVersion(LuksError):
    _msg_fmt = ("Device %(device)s holds LUKS version %(version)s, which is "
                "unsupported: only LUKS2 can carry a clevis token here")


class DeviceHasData(LuksError):
    _msg_fmt = ("Refusing to format %(device)s: it holds %(found)s (allow "
                "it explicitly to overwrite); the device was not touched")


class NoFreeKeyslot(LuksError):
    _msg_fmt = "Device %(device)s has no free LUKS2 keyslot"


class TokenTooLarge(LuksError):
    _msg_fmt = ("The %(kind)s token (%(size)d bytes) does not fit in the "
                "LUKS2 metadata area of %(device)s")


class WrongPassphrase(LuksError):
    _msg_fmt = ("No keyslot of %(device)s opens with the given "
                "%(what)s")


class BindingNotFound(LuksError):
    _msg_fmt = "Device %(device)s has no clevis binding %(where)s"


class VerificationFailed(LuksError):
    _msg_fmt = ("Clevis binding on keyslot %(slot)s of %(device)s does not "
                "unlock: %(reason)s")


class UnsafeOperation(LuksError):
    _msg_fmt = "Refusing to %(action)s on %(device)s: %(reason)s"


class InvalidStepArgument(NbdeError):
    _msg_fmt = "Invalid step argument '%(arg)s': %(reason)s"


class DeviceSelectionError(NbdeError):
    _msg_fmt = "Disk selection %(selector)s: %(reason)s"


class DeviceRefused(NbdeError):
    _msg_fmt = "Refusing to touch %(device)s: %(reason)s"


class DeviceOperationFailed(NbdeError):
    _msg_fmt = "NBDE %(operation)s of %(device)s failed: %(reason)s"


class BindingRecordRefused(NbdeError):
    _msg_fmt = ("NBDE step result not recorded: field %(field)s: "
                "%(reason)s")


class NotConfirmed(NbdeError):
    _msg_fmt = "Not trusting %(what)s without confirmation: %(hint)s"


class InvalidTemplate(NbdeError):
    _msg_fmt = "Invalid NBDE deploy template %(name)s: %(reason)s"


class NoBindingRecorded(NbdeError):
    _msg_fmt = ("Node %(node)s has no NBDE binding recorded "
                "(properties['nbde'])")


class UnreadableRecord(NbdeError):
    _msg_fmt = ("The NBDE record of node %(node)s (properties['nbde']) "
                "cannot be read: %(reason)s")


class RecoveryKeyError(NbdeError):
    _msg_fmt = ("Cannot decrypt the recovery escrow of %(device)s on node "
                "%(node)s: %(reason)s")
