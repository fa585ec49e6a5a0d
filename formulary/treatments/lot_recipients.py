"""What the session pages add to the lot page: a recalled lot lists the patients who received it, with how
to reach them (the stock package sits below treatments and cannot read sessions)."""

from formulary.stock.blueprint import bp
from formulary.stock.models import Lot
from formulary.treatments.recall import RecipientPatient, recipients
from formulary.vocabulary import LotStatus


@bp.context_processor
def recalled_lot_patients():
    """`lot_recipients(lot)`: the patients who received a recalled lot (none for a lot not recalled)."""

    def patients_of(lot: Lot) -> tuple[RecipientPatient, ...]:
        if lot.status != LotStatus.RECALLED:
            return ()
        return recipients(lot.id).patients

    return {"lot_recipients": patients_of}
