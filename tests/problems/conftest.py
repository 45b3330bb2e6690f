from tests.problems.factories import problem_manager  # noqa: F401  (fixture)
