"""What the session pages add to the patient pages: each listed patient's last and next session, and on a
patient's own page every session with its outcome, lots and reactions.

The patients package sits below treatments and cannot read sessions; this module, above it, hands the
patient templates its functions through a context processor on the patients blueprint.
"""


from flask import request

from formulary.clinic_time import clinic_today
from formulary.patients.blueprint import bp
from formulary.treatments.display import session_outcome
from formulary.treatments.patient_history import PatientHistory, patient_history
from formulary.treatments.queries import SessionDates, session_dates
from formulary.treatments.session_page import page_for


@bp.context_processor
def patient_sessions():
    """`session_dates(patients)`: the last administered and next planned session of each, by patient id;
    `session_history(patient)`: the page of the patient's sessions asked for by ?sessions=N."""

    def dates_of(patients) -> dict[int, SessionDates]:
        return session_dates((patient.id for patient in patients), clinic_today())

    def history_of(patient) -> PatientHistory:
        return patient_history(patient.id, request.args.get("sessions", 1, type=int) or 1, clinic_today())

    return {"session_dates": dates_of, "session_history": history_of, "session_outcome": session_outcome,
            "page_for": page_for}
