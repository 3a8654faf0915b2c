# Ironic's unit-test package selects oslo.service's threading backend when
# imported; import it before any other ironic module picks the default.
import ironic.tests.unit  # noqa: F401
