"""Every write to changes. Actor first, one transaction, audited."""
