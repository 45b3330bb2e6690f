from tests.changes.factories import cab_member, change_manager  # noqa: F401  (fixtures)
