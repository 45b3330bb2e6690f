"""Demo data of problem management (a step of manage.py demo_data)."""


def register() -> None:
    pass
