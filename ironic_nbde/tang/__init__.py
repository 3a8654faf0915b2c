"""Tang protocol and clevis pins (tang, sss), in pure Python.

No cryptsetup, no Ironic, no IPA: the only I/O is the small HTTP client in
:mod:`ironic_nbde.tang.http`. Entry points are in :mod:`.pins`
(``encrypt``, ``decrypt``, ``describe``) and :mod:`.advertisement`
(``fetch``, ``trust``, ``Trust``).

This package logs through the standard ``logging`` module rather than
oslo.log: it also backs the ``ironic-nbde-clevis`` command in a ramdisk,
where importing oslo.log would triple its start-up time. Under IPA or the
conductor, oslo.log configures the root logger and these records flow
through it unchanged.
"""
