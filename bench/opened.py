"""Opened vials in the large dataset: multi-dose lots in use hold part of their stock in an opened vial.

About half the multi-dose lots still holding stock have one opened vial: what is left of the last
vial drawn (on-hand modulo the vial size), or half a vial. It was opened up to 40 days ago, so with
a 28-day opened shelf life some have lapsed and wait on the dashboard to be discarded. A lot's
opened_content is what its opened vial holds; on-hand stays the ledger's (the vial is part of it).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from bench.dataset import to_decimal

SHELF_LIFE_DAYS = 28  # the opened shelf life build_products gives every multi-dose product


def add_opened_units(rng: random.Random, rows: dict, today: date, user_id: int) -> None:
    """An opened_unit row for about half the multi-dose lots in stock, and every lot's opened_content."""
    multi_dose = {row["id"]: int(row["unit_size"] * 1000) for row in rows["product"] if not row["single_use"]}
    rows["opened_unit"] = []
    for lot in rows["lot"]:
        lot["opened_content"] = to_decimal(0)
        size = multi_dose.get(lot["product_id"])
        on_hand = int(lot["on_hand"] * 1000)
        if size is None or on_hand <= 0 or lot["expiry"] < today or rng.random() < 0.5:
            continue
        left = on_hand % size or min(size // 2, on_hand)
        opened_on = today - timedelta(days=rng.randint(0, 40))
        lot["opened_content"] = to_decimal(left)
        rows["opened_unit"].append({
            "id": len(rows["opened_unit"]) + 1, "lot_id": lot["id"],
            "opened_at": datetime.combine(opened_on, time(10), tzinfo=UTC), "opened_on": opened_on,
            "opened_by_id": user_id, "session_id": None,
            "use_by": min(lot["expiry"], opened_on + timedelta(days=SHELF_LIFE_DAYS)),
            "content_left": to_decimal(left), "discarded_at": None, "discarded_by_id": None, "discard_reason": "",
            "discarded_content": to_decimal(0),
        })
