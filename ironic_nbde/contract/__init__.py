"""The contracts the agent, the conductor and the operator CLI share.

- :mod:`.steps`: the NBDE steps (names, interface, priorities, arguments,
  what ``"all"`` selects for each);
- :mod:`.policy`: the Tang policy (servers with pinned thumbprints and a
  threshold) and its validation;
- :mod:`.record`: the binding record in ``node.properties['nbde']`` (its
  layout, its validation, and the builder of a device entry).

Pure data: nothing here imports Ironic, IPA or openstacksdk, so every
package may depend on it.
"""
