from django.apps import AppConfig


class KernelAppConfig(AppConfig):
    """A test-only process app: proves the kernel mechanisms until the first real app uses them."""

    name = "tests.kernel_app"
    label = "kernel_app"
