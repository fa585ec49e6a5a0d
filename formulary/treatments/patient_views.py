"""What the session pages add to the patient pages: each listed patient's last and next session.

The patients package sits below treatments and cannot read sessions; this module, above it, hands the
patient list a `session_dates` function through a context processor on the patients blueprint.
"""

from datetime import date

from formulary.patients.blueprint import bp
from formulary.treatments.queries import SessionDates, session_dates


@bp.context_processor
def patient_sessions():
    """`session_dates(patients)`: the last administered and next planned session of each, by patient id."""

    def dates_of(patients) -> dict[int, SessionDates]:
        return session_dates((patient.id for patient in patients), date.today())

    return {"session_dates": dates_of}
