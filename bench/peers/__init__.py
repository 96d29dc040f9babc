"""Other ticketing products, set up to be measured the way Steward's benchmarks measure it.

Each peer is a small Django project of our own under ``bench/peers/<name>/``, run in a
virtualenv of its own (``bench/.peers/``) with the peer product installed from the package
registry. The benchmark drivers live beside Steward's (``bench/helpdesk_peer.py``).
"""
