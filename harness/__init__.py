"""One harness for the all-in-one demo and the e2e tests.

Real standalone Ironic (sqlite, noauth), real IPA in a sandbox (its own
mount, PID and network namespaces, a private /dev with only the test loop
devices, power commands stubbed, sysrq masked), real tangd servers, a disk
image with a pre-encrypted root. ``tools/demo.sh`` and ``tests/e2e`` both
drive :class:`harness.env.Environment`.
"""
