"""Problems in the kernel's registries: the grouped menu, global search, the start page and
the incident page's problem panel (registered in ProblemsConfig.ready)."""


def register() -> None:
    pass
