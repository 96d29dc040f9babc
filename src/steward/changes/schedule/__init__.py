"""The change schedule: maintenance and blackout windows, conflicts, the change calendar.

A small app of its own (label ``change_schedule``, no models: those live in the ``changes``
app, see ``changes/models_schedule.py``) so that its start-up registrations, pages, API and
command sit apart from the change records themselves.
"""
