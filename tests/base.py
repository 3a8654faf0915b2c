"""Common test base: testtools with captured ironic_nbde logs."""

import logging

import fixtures
import testtools


class TestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='ironic_nbde', level=logging.DEBUG))
