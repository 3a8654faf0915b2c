"""The operator side of ironic-nbde, on openstacksdk.

:class:`NbdeAdmin` is the library object (deploy templates with pinned
Tang thumbprints, recorded bindings, the fleet report, rebind, recovery
escrow); ``ironic-nbde`` (:mod:`.main`) is argparse glue around it.
Imports neither ironic nor ironic_python_agent.
"""

from ironic_nbde.cli.library import NbdeAdmin

__all__ = ['NbdeAdmin']
