"""A minimal Django project serving django-helpdesk, the peer measured by ``helpdesk_create``.

Run only with the peer's own virtualenv, from this directory (so ``peer_site`` is importable
and nothing here shadows the installed ``helpdesk`` package). This ``__init__`` only lets
Steward's tests import the pure ``peer_site.environment`` module.
"""
