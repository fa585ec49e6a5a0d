"""Catalogue errors: each names the field and value it refuses."""


class CatalogueError(ValueError):
    """One or more refused values; `errors` is a list of (field, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors
