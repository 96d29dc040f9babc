"""Fixtures of the service desk tests."""

from steward.servicedesk.tests.imap_server import imap_server  # noqa: F401
