"""The ``mmntrial demo`` command."""


def demo() -> None:
    """Show what mmntrial does."""
