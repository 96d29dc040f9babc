"""Service desk models, one module per concern (mail in, mail out, the portal's ratings)."""

from steward.servicedesk.models.inbound import InboundMessage, Mailbox  # noqa: F401
