"""Catalogue errors: each names the field and value it refuses."""


from formulary.errors import FieldErrors


class CatalogueError(FieldErrors):
    """One or more refused catalogue values; `errors` is a list of (field, message)."""
