"""The demo clinic's kit: numbing cream, antiseptic and nitrile gloves; latex gloves as an alternative."""

from datetime import date

from sqlalchemy import select

from formulary.catalogue.lookup import find_substance
from formulary.catalogue.models import Product
from formulary.cocktails.kit import ProcedureLine, default_kit, set_default_kit
from formulary.cocktails.models import Cocktail
from formulary.demo import kit
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.treatments.checks import check_patient

TODAY = date.today()


def test_the_demo_kit_is_loaded_once_and_checked(app):
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo.clinic import load_demo

    sync_reference_library()
    lines = load_demo(TODAY)
    assert "Demo procedure kit: numbing cream, antiseptic and nitrile gloves." in lines
    assert [(i.product.name, i.use) for i in default_kit()] == [
        (kit.CREAM, "topical anaesthetic"), (kit.ANTISEPTIC, "antiseptic"), (kit.NITRILE, "gloves")]
    assert find_substance("lidocaine").max_mg_per_session == 200
    assert kit.load() == ["Demo procedure kit already there."]

    anna = db.session.scalar(select(Patient).where(Patient.reference == "P-1026"))  # latex, high
    cocktail = db.session.scalars(select(Cocktail).where(Cocktail.retired.is_(False)).order_by(Cocktail.id)).first()
    version = cocktail.current.id
    with_nitrile = check_patient(anna.id, version, TODAY)
    assert not any(f.place == "procedure" for f in with_nitrile.findings)

    ids = dict(db.session.execute(select(Product.name, Product.id)).all())
    set_default_kit([ProcedureLine(ids[kit.LATEX], "gloves")], actor=None)
    with_latex = check_patient(anna.id, version, TODAY)
    [gloves] = [f for f in with_latex.findings if f.place == "procedure"]
    assert gloves.severity == "block" and f"in the gloves: {kit.LATEX}" in gloves.message
