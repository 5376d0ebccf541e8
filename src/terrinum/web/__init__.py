"""Django project: settings, URLs, pages, API."""
