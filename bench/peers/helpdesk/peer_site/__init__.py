"""Settings, URLs, WSGI entry and the ``prepare`` step of the django-helpdesk peer site."""
