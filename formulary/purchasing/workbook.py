"""An order as a formatted .xlsx workbook for the supplier (XlsxWriter, in memory)."""

import io

import xlsxwriter

from formulary.purchasing.models import PurchaseOrder


def order_workbook(order: PurchaseOrder, clinic: str) -> bytes:
    """The order's header and one row per line: product, GTIN, packs, pack size, quantity."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Order")
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1})
    number = book.add_format({"num_format": "0.###"})
    sheet.write(0, 0, f"Purchase order {order.reference}", title)
    facts = [("From", clinic), ("To", order.supplier.name), ("Contact", order.supplier.contact_person),
             ("Date", f"{order.sent_at or order.created_at:%Y-%m-%d}"), ("Status", order.status)]
    for row, (label, value) in enumerate(facts, start=2):
        sheet.write(row, 0, label, bold)
        sheet.write(row, 1, value)
    top = len(facts) + 3
    for col, label in enumerate(("Product", "GTIN", "Packs", "Pack size", "Unit", "Quantity")):
        sheet.write(top, col, label, head)
    for row, line in enumerate(order.lines, start=top + 1):
        product = line.product
        sheet.write(row, 0, product.name)
        sheet.write(row, 1, product.gtin or "")
        sheet.write_number(row, 2, line.packs)
        sheet.write_number(row, 3, float(line.pack_size), number)
        sheet.write(row, 4, product.unit)
        sheet.write_number(row, 5, float(line.quantity), number)
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 5, 11)
    book.close()
    return buffer.getvalue()
