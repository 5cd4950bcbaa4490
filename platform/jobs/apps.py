from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Animation jobs and clips"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the consent cascade)
