"""Fixtures for sessions: a small clinic with stock, a cocktail and patients."""

from datetime import date, timedelta

import pytest

TODAY = date.today()


@pytest.fixture
def clinic(make_product, make_lot, make_cocktail, make_substance):
    """HA (2 mL single-use vials, two lots) + Vitamin Complex B (with methylparaben), one cocktail."""
    make_substance("methylparaben", groups=["parabens"])
    ha = make_product("HA 1% 2 mL", unit_size="2", single_use=True)
    vit = make_product("Vitamin Complex B 2 mL", unit_size="2", category="vitamin",
                       composition=[("thiamine", "active"), ("methylparaben", "excipient")])
    early = make_lot(ha, lot_number="HA-EARLY", quantity="4", expiry=TODAY + timedelta(days=40))
    late = make_lot(ha, lot_number="HA-LATE", quantity="10", expiry=TODAY + timedelta(days=300))
    vit_lot = make_lot(vit, lot_number="VB-1", quantity="10", expiry=TODAY + timedelta(days=200))
    cocktail = make_cocktail("Hydra glow", [(ha, "1.5"), (vit, "1")])
    return {"ha": ha, "vit": vit, "early": early, "late": late, "vit_lot": vit_lot, "cocktail": cocktail}
