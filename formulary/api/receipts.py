"""How a POST /lots body names what arrived: product by id, GTIN or GS1 scan, lot number and expiry."""

from dataclasses import dataclass, field
from datetime import date

from formulary.catalogue.gtin import InvalidGtin, normalize_gtin
from formulary.catalogue.models import Product
from formulary.extensions import db
from formulary.stock.queries import product_by_gtin
from formulary.stock.scan import ScanError, parse_scan


@dataclass
class Receipt:
    """What a receipt body names, by product_id, GTIN or scan, and each thing wrong with it."""

    product: Product | None = None
    lot_number: str | None = None
    expiry: date | None = None
    serial: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    def lot(self) -> tuple[Product, str, date]:
        """The product, lot number and expiry of a receipt read without errors (read_receipt refuses
        a receipt missing any of them)."""
        if self.errors or self.product is None or not self.lot_number or self.expiry is None:
            raise ValueError(f"A refused receipt names no lot: {self.errors}")
        return self.product, self.lot_number, self.expiry


def read_receipt(body: dict) -> Receipt:
    """Resolve a loaded POST /lots body: the product it names, and its lot and expiry (typed or scanned)."""
    receipt = Receipt(lot_number=body.get("lot_number"), expiry=body.get("expiry"))
    errors, found = receipt.errors, {}  # found: body field → the product it names
    if body.get("scan"):
        try:
            scanned = parse_scan(body["scan"])
        except ScanError as error:
            return Receipt(errors=[("scan", f"{error}.")])
        found["scan"] = product_by_gtin(scanned.gtin)
        if found["scan"] is None:
            errors.append(("scan", f"No product in the catalogue has GTIN {scanned.gtin} (from the scan)."))
        if scanned.lot_number and receipt.lot_number not in (None, "", scanned.lot_number):
            message = f"The scan says lot {scanned.lot_number}, not {receipt.lot_number}."
            errors.append(("lot_number", message))
        if scanned.expiry and receipt.expiry not in (None, scanned.expiry):
            errors.append(("expiry", f"The scan says expiry {scanned.expiry}, not {receipt.expiry}."))
        receipt.lot_number = receipt.lot_number or scanned.lot_number
        receipt.expiry = receipt.expiry or scanned.expiry
        receipt.serial = scanned.serial or ""
    if body.get("gtin"):
        try:
            gtin = normalize_gtin(body["gtin"])
        except InvalidGtin as error:
            errors.append(("gtin", f"{error}."))
        else:
            found["gtin"] = product_by_gtin(gtin)
            if found["gtin"] is None:
                errors.append(("gtin", f"No product in the catalogue has GTIN {gtin}."))
    if body.get("product_id"):
        found["product_id"] = db.session.get(Product, body["product_id"])
        if found["product_id"] is None:
            errors.append(("product_id", f"There is no product with id {body['product_id']}."))
    products = {product.id: product for product in found.values() if product is not None}
    if not found:
        errors.append(("product_id", "Name the product: give product_id, gtin or scan."))
    elif len(products) > 1:
        names = " and ".join(f"{key} names {product.name}" for key, product in found.items() if product)
        errors.append((next(iter(found)), f"The product is named twice, differently: {names}."))
    if not receipt.lot_number:
        errors.append(("lot_number", "A lot number is required (or a scan that carries one)."))
    if receipt.expiry is None:
        errors.append(("expiry", "An expiry is required: YYYY-MM-DD or YYYY-MM, or a scan with one."))
    receipt.product = next(iter(products.values())) if len(products) == 1 else None
    return receipt
