"""ironic-nbde in ironic-conductor: the binding record of each node.

:mod:`.hooks` records an NBDE step's result in ``node.properties['nbde']``
and clears it when cleaning destroys the LUKS headers; :mod:`.interface`
is the vendor interface whose loading registers those hooks; :mod:`.record`
is the record format. Imports ironic; never imports ironic_python_agent.
"""
