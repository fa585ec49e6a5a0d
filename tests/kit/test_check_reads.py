"""The check reads the cocktail, the kit, the patient and the reference library together (db.together):
in one statement on PostgreSQL, each part's rows exactly as its own statement gives them."""

from sqlalchemy import event

from formulary.db import read_as_one, read_each
from formulary.extensions import db
from formulary.treatments.checks import _check_reads, check_patient
from tests.kit.conftest import TODAY
from tests.kit.test_kit import the_kit


def _asked(patient, kit_clinic) -> dict:
    return {"patient_id": patient.id, "version_id": kit_clinic["cocktail"].current.id, "before": TODAY}


def test_the_union_gives_every_part_the_rows_of_its_own_statement(kit_clinic, make_patient):
    the_kit(kit_clinic)
    patient = make_patient("Lena Latex", allergies=["latex", "lidocaine", "strawberries"], conditions=["pregnancy"])
    db.session.flush()
    connection = db.session.connection()
    each = read_each(connection, _check_reads(), _asked(patient, kit_clinic))
    # Every kind of column is there: ids, names, amounts, a timestamp, nulls, several rows a part.
    assert len(each["components"]) == 2 and len(each["kit_items"]) == 3 and len(each["lots"]) >= 2
    assert len(each["allergies"]) >= 3 and each["conditions_listed"] and each["parts"]
    assert read_as_one(connection, _check_reads(), _asked(patient, kit_clinic)) == each


def test_the_check_is_one_statement_on_postgresql(kit_clinic, make_patient):
    the_kit(kit_clinic, gloves="latex")
    patient = make_patient("Lena Latex", allergies=["latex"])
    db.session.flush()
    patient_id, version_id = patient.id, kit_clinic["cocktail"].current.id
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = check_patient(patient_id, version_id, TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result.outcome == "blocked"  # the latex gloves of the kit
    # SQLite, in the process, reads each part by its own statement: no round trip to spare.
    assert len(statements) == (1 if db.engine.dialect.name == "postgresql" else len(_check_reads().names))
