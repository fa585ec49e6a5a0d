"""Purchasing errors: each names the field, the line or the order it refuses."""

from formulary.errors import FieldErrors


class PurchasingError(FieldErrors):
    """One or more refused values (a supplier's, an order line's); `errors` is a list of (field, message)."""


class OrderRefused(ValueError):
    """A rule refuses the change as a whole: editing a sent order, receiving against a draft."""


class SupplierNameTaken(PurchasingError):
    """The only refusal: another supplier has this name (the API answers 409, as for any duplicate)."""
