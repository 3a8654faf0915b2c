"""The NBDE hardware manager for Ironic Python Agent.

Runs inside the IPA ramdisk: deploy, clean and service steps that select
devices and drive :mod:`ironic_nbde.luks`. Imports ironic_python_agent;
never imports ironic.
"""
