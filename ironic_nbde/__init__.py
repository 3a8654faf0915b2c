"""Network Bound Disk Encryption (Tang/clevis, LUKS2) for OpenStack Ironic."""
