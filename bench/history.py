"""The large dataset's years of history: sessions drawn by FEFO from lots, the ledger, checks and audit rows.

Sessions come first (who, which cocktail version, when); each product then gets its lots, sized
from what the sessions will need, and the sessions draw from them in date order, first expired
first out. A lot's received quantity is whatever it gave plus what is left, so the ledger always
adds up: receive first, then every draw, never below zero.
"""

from __future__ import annotations

import bisect
import heapq
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bench.dataset import HISTORY_DAYS, Patient, Product, Reference, Version, at, to_decimal

AREAS = ["forehead, cheeks", "cheeks, nasolabial, jawline", "neck, décolleté", "crow's feet, cheeks",
         "forehead, glabella, cheeks, neck", "perioral, jawline"]
SUPPLIERS = ["MesoSupply GmbH", "Aesthetic Distribution Ltd", "PharmaDerm Direct", "Clinica Wholesale"]
LETTERS = "ABCDEFGHJK"


@dataclass
class Lot:
    """A lot while the sessions draw from it."""

    id: int
    product: Product
    number: str
    received: date
    expiry: date
    capacity: int  # thousandths; grows if the sessions need more than planned
    drawn: int = 0
    events: list = field(default_factory=list)  # (at, kind, signed quantity, session id, user id, reason)

    @property
    def left(self) -> int:
        return self.capacity - self.drawn


@dataclass
class Session:
    """An administered session before its draws are known."""

    id: int
    patient: Patient
    version: Version
    day: date
    practitioner_id: int
    when: datetime | None = None  # set once the day's sessions are in order

    def __post_init__(self):
        self.when = self.when or at(self.day, 9)


def _allowed(patient: Patient, version: Version) -> bool:
    """Whether the check would let this session through without an override (approximately)."""
    return not (patient.allergy_substances & version.substances or patient.allergy_groups & version.groups
                or patient.conditions & version.blocks)


def plan_sessions(rng: random.Random, ref: Reference, patients: list[Patient], cocktails: list[list[Version]],
                  count: int, today: date) -> list[Session]:
    """Administered sessions over the past years, in date order, each with the version current that day."""
    start = today - timedelta(days=HISTORY_DAYS)
    days = sorted(start + timedelta(days=rng.randint(30, HISTORY_DAYS - 1)) for _ in range(count))
    sessions = []
    created = [[v.created for v in versions] for versions in cocktails]
    for day in days:
        for _ in range(50):  # a patient the check allows for the cocktail
            pick = rng.randrange(len(cocktails))
            version = cocktails[pick][bisect.bisect_right(created[pick], day) - 1]
            patient = patients[int(len(patients) * rng.random() ** 1.6)]  # regulars come back
            if patient.created <= day and _allowed(patient, version):
                sessions.append(Session(len(sessions) + 1, patient, version, day, rng.choice(ref.practitioner_ids)))
                break
    _spread_over_the_day(sessions)
    return sessions


def _spread_over_the_day(sessions: list[Session]) -> None:
    """Every five minutes from 09:00, in id order: the ledger's times then follow the order of the draws."""
    previous, k = None, 0
    for session in sessions:
        k = k + 1 if session.day == previous else 0
        previous = session.day
        session.when = at(session.day, 9) + timedelta(minutes=5 * k)


def _taken(product: Product, amount: int) -> int:
    if not product.single_use:
        return amount
    return -(-amount // product.unit_size) * product.unit_size  # whole units leave the lot


def make_lots(rng: random.Random, products: list[Product], sessions: list[Session], per_product: int,
              today: date) -> dict[int, list[Lot]]:
    """Each product's lots, received at a steady pace, sized to cover its sessions with some to spare."""
    need = {p.id: 0 for p in products}
    for session in sessions:
        for product, amount in session.version.components:
            need[product.id] += _taken(product, amount)
    first = today - timedelta(days=HISTORY_DAYS + 200)
    span = (today - timedelta(days=3) - first).days
    lots, lot_id = {}, 0
    for product in products:
        unit = product.unit_size
        # Deliveries a little over what the sessions need: about three lots' worth left at the end.
        mean = need[product.id] * (per_product + 3) / per_product / per_product
        rows = []
        for k in range(per_product):
            lot_id += 1
            received = first + timedelta(days=int(span * (k + rng.random() * 0.8) / per_product))
            expiry = received + timedelta(days=rng.randint(540, 900))
            units = max(2, round(mean * rng.uniform(0.75, 1.25) / unit)) if mean else rng.randint(3, 15)
            number = f"{expiry:%y}{rng.choice(LETTERS)}{k + 100:03d}"
            rows.append(Lot(lot_id, product, number, received, expiry, units * unit))
        lots[product.id] = rows
    return lots


class Shelf:
    """One product's lots as FEFO sees them on a day: a heap of received lots by expiry."""

    def __init__(self, lots: list[Lot]):
        self.pending = sorted(lots, key=lambda lot: (lot.received, lot.id))
        self.next = 0
        self.heap: list[tuple] = []

    def _receive_until(self, day: date) -> None:
        while self.next < len(self.pending) and self.pending[self.next].received <= day:
            lot = self.pending[self.next]
            heapq.heappush(self.heap, (lot.expiry, lot.received, lot.id, lot))
            self.next += 1

    def take(self, day: date, margin: int, minimum: int) -> Lot:
        """The lot FEFO draws from on the day; a delivery is brought forward (or topped up) when none is left."""
        self._receive_until(day)
        last_day = day + timedelta(days=margin)
        while self.heap and (self.heap[0][0] < last_day or self.heap[0][3].left < minimum):
            heapq.heappop(self.heap)
        if self.heap:
            return self.heap[0][3]
        if self.next < len(self.pending):  # the next delivery comes early
            lot = self.pending[self.next]
            shelf_life = lot.expiry - lot.received
            lot.received, lot.expiry = day, day + shelf_life
            self._receive_until(day)
            return lot
        lot = max(self.pending, key=lambda lot: lot.expiry)  # the newest lot was bigger than planned
        lot.capacity += minimum * 4
        heapq.heappush(self.heap, (lot.expiry, lot.received, lot.id, lot))
        return lot


def draw_sessions(sessions: list[Session], lots: dict[int, list[Lot]], rows: dict) -> None:
    """Draw every session's components by FEFO: session_draw rows, and the lot events for the ledger."""
    shelves = {pid: Shelf(product_lots) for pid, product_lots in lots.items()}
    draw_id = 0
    for session in sessions:
        when = session.when
        for product, amount in session.version.components:
            left = amount
            step = product.unit_size if product.single_use else 1
            while left > 0:
                lot = shelves[product.id].take(session.day, product.margin_days, step)
                taken = min(lot.left, _taken(product, left))
                administered = min(taken, left)
                lot.drawn += taken
                left -= administered
                draw_id += 1
                rows["session_draw"].append({
                    "id": draw_id, "session_id": session.id, "lot_id": lot.id, "product_id": product.id,
                    "administered": to_decimal(administered), "wasted": to_decimal(taken - administered),
                })
                reason = f"session #{session.id}"
                lot.events.append((when, "administer", -administered, session.id, session.practitioner_id, reason))
                if taken > administered:
                    lot.events.append((when, "waste", administered - taken, session.id, session.practitioner_id,
                                       f"rest of an opened single-use unit, session #{session.id}"))


def lot_rows(rng: random.Random, ref: Reference, lots: dict[int, list[Lot]], today: date, rows: dict) -> None:
    """Lot rows and their ledgers: receive, draws, expired stock discarded (mostly), a few lots held."""
    movements = []
    for product_lots in lots.values():
        for lot in product_lots:
            received = at(lot.received, 8)
            events = [(received, "receive", lot.capacity, None, ref.manager_id, "delivery")] + lot.events
            left, status = lot.left, "available"
            if left and lot.expiry < today - timedelta(days=3) and rng.random() < 0.85:
                events.append((at(lot.expiry + timedelta(days=3), 17), "waste", -left, None, ref.manager_id,
                               "expired: discarded"))
                left = 0
            elif left and lot.expiry > today and rng.random() < 0.008:
                status = "quarantined" if rng.random() < 0.7 else "recalled"
                when = max(events[-1][0], at(today - timedelta(days=2), 18)) + timedelta(minutes=30)
                events.append((when, "quarantine" if status == "quarantined" else "recall", 0, None,
                               ref.manager_id, "supplier notice"))
            on_hand = 0
            for when, kind, quantity, session_id, user_id, reason in events:
                on_hand += quantity
                movements.append((when, lot.id, kind, quantity, on_hand, reason, user_id, session_id))
            assert on_hand == left >= 0, lot
            rows["lot"].append({
                "id": lot.id, "product_id": lot.product.id, "lot_number": lot.number, "expiry": lot.expiry,
                "received_on": lot.received, "supplier": rng.choice(SUPPLIERS), "unit_cost": lot.product.unit_cost,
                "status": status, "on_hand": to_decimal(left), "created_at": received,
            })
            rows["audit_event"].append(("lot.receive", "Lot", lot.id, ref.manager_id, received))
    movements.sort(key=lambda m: (m[0], m[1]))
    rows["stock_movement"] = [
        {"id": i, "lot_id": lot_id, "kind": kind, "quantity": to_decimal(quantity), "on_hand_after": to_decimal(after),
         "reason": reason, "user_id": user_id, "at": when, "session_id": session_id, "import_id": None}
        for i, (when, lot_id, kind, quantity, after, reason, user_id, session_id) in enumerate(movements, start=1)
    ]


def _findings(patient: Patient, version: Version) -> tuple[str, list[dict]]:
    found = []
    if patient.status == "unknown":
        found.append({"kind": "allergy-history-unknown", "severity": "caution",
                      "message": "Caution: allergy history never recorded — ask the patient before treating",
                      "path": ["allergy history: unknown"]})
    if patient.free_text:
        found.append({"kind": "unmatched-allergy", "severity": "caution", "allergy_id": patient.free_text,
                      "message": "Caution: allergy recorded as free text, not matched to any substance — ask the "
                                 "patient", "path": ["allergy (free text)"]})
    for condition_id in sorted(patient.conditions & version.cautions):
        found.append({"kind": "contraindication", "severity": "caution", "condition_id": condition_id,
                      "message": "Caution: a condition calls for care with a product of this cocktail",
                      "path": ["condition"]})
    return ("caution" if found else "clear"), found


def session_rows(rng: random.Random, sessions: list[Session], planned: list[Session], rows: dict) -> None:
    """Session, check, reaction and audit rows: administered sessions, then the ones booked ahead."""
    check_id = 0
    for session in sessions + planned:
        done = session.id <= len(sessions)
        when = session.when
        patient, version, user = session.patient, session.version, session.practitioner_id
        checked = done or session.id % 2 == 0
        rows["treatment_session"].append({
            "id": session.id, "patient_id": patient.id, "cocktail_version_id": version.id,
            "scheduled_for": session.day, "practitioner_id": user,
            "status": "administered" if done else "checked" if checked else "planned",
            "areas": rng.choice(AREAS) if done else "", "notes": "",
            "created_at": when - timedelta(days=rng.randint(1, 20)),
            "administered_at": when if done else None, "administered_by_id": user if done else None,
        })
        if checked:
            check_id += 1
            run_at = when - timedelta(minutes=15)
            outcome, findings = _findings(patient, version)
            rows["safety_check"].append({
                "id": check_id, "session_id": session.id, "patient_id": patient.id,
                "cocktail_version_id": version.id, "checked_for": session.day, "outcome": outcome,
                "findings": json.dumps(findings), "run_at": run_at, "run_by_id": user,
                "acknowledged_by_id": user if outcome == "caution" and done else None,
                "acknowledged_at": run_at + timedelta(minutes=2) if outcome == "caution" and done else None,
            })
            rows["audit_event"].append(("check.run", "SafetyCheck", check_id, user, run_at))
        if done:
            rows["audit_event"].append(("session.administer", "TreatmentSession", session.id, user, when))
            if session.id % 300 == 0:
                rows["reaction"].append({
                    "id": session.id // 300, "session_id": session.id, "severity": "mild",
                    "description": "Small bruises at two injection sites, gone within a few days.",
                    "noted_at": when + timedelta(days=1), "noted_by_id": user, "allergy_id": None,
                })


def plan_ahead(rng: random.Random, ref: Reference, patients: list[Patient], cocktails: list[list[Version]],
               count: int, first_id: int, today: date) -> list[Session]:
    """Sessions booked over the next four weeks (half already checked): the dashboard's panels."""
    booked = []
    for n in range(count):
        versions = rng.choice(cocktails)
        patient = patients[rng.randrange(len(patients))]
        booked.append(Session(first_id + n, patient, versions[-1], today + timedelta(days=rng.randint(0, 28)),
                              rng.choice(ref.practitioner_ids)))
    booked.sort(key=lambda s: (s.day, s.id))
    for n, session in enumerate(booked):
        session.id = first_id + n
    _spread_over_the_day(booked)
    return booked
