from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Animation jobs and clips"

    def ready(self) -> None:
        # The consent cascade's receiver; and the tasks, registered by name in every process
        # so that `jobs.queue` finds them (in eager mode a queued job runs in this process).
        from . import receivers, tasks  # noqa: F401
