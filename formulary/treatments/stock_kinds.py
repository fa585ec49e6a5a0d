"""The finding kinds that say stock cannot serve the session: blocks no override lifts."""

from formulary.vocabulary import FindingKind

# A lapsed opened vial blocks exactly as missing stock does: an override cannot make it usable.
STOCK_KINDS = frozenset({FindingKind.STOCK, FindingKind.OPENED_LAPSED})
