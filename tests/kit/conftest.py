"""Fixtures for the procedure kit: a numbing cream, an antiseptic, nitrile and latex gloves, and a cocktail."""

from datetime import date, timedelta

import pytest

from formulary.catalogue.products import ComponentData, ProductData, create_product
from formulary.extensions import db

TODAY = date.today()


@pytest.fixture
def kit_clinic(make_product, make_lot, make_cocktail, make_substance):
    """A cocktail (HA + lidocaine 2 %) with stock, and four procedure products not yet in any kit."""
    make_substance("lidocaine", groups=["amide local anaesthetics"])
    make_substance("prilocaine", groups=["amide local anaesthetics"])
    make_substance("chlorhexidine gluconate", synonyms=["chlorhexidine"])
    make_substance("natural rubber latex", synonyms=["latex"])
    make_substance("nitrile rubber")
    ha = make_product("HA 1% 2 mL", unit_size="2")
    lido = create_product(ProductData(
        name="Lidocaine 2% 5 mL", category="anaesthetic", unit_size="5", single_use=True,
        composition=[ComponentData(substance="lidocaine", role="active", strength="2 %")]), actor=None)
    cream = make_product("Lidocaine/prilocaine cream 5%", category="anaesthetic", unit_size="30",
                         composition=[("lidocaine", "active"), ("prilocaine", "active")])
    antiseptic = make_product("Chlorhexidine 0.5% skin antiseptic", category="other", unit_size="100",
                              composition=[("chlorhexidine gluconate", "active")])
    nitrile = make_product("Nitrile examination gloves", category="other", unit_size="1",
                           composition=[("nitrile rubber", "active")])
    latex = make_product("Latex examination gloves", category="other", unit_size="1",
                         composition=[("natural rubber latex", "active")])
    make_lot(ha, lot_number="HA-1", quantity="20", expiry=TODAY + timedelta(days=300))
    make_lot(lido, lot_number="LI-1", quantity="50", expiry=TODAY + timedelta(days=300))
    cocktail = make_cocktail("Glow with lidocaine", [(ha, "2"), (lido, "0.5")])
    db.session.commit()
    return {"ha": ha, "lido": lido, "cream": cream, "antiseptic": antiseptic, "nitrile": nitrile,
            "latex": latex, "cocktail": cocktail}
