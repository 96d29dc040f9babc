"""Service desk models, one module per concern (mail in, mail out, the portal's ratings)."""

from steward.servicedesk.models.inbound import InboundMessage, Mailbox  # noqa: F401
from steward.servicedesk.models.outbound import NotificationTemplate, OutboundEmail  # noqa: F401
from steward.servicedesk.models.satisfaction import SatisfactionRating  # noqa: F401
