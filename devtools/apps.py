from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development and benchmark tools: the demo and scale data, `make run`'s and `make prod`'s
    process runners, bench/run's ceiling view. The top layer: it imports every app, and no app
    imports it."""

    name = "devtools"
    verbose_name = "Development tools"
