"""Service desk models, one module per concern (mail in, mail out, the portal's ratings)."""
