"""E-mail notifications about tickets: templates, queueing after audit entries, sending."""
