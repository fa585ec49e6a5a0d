"""The large dataset's catalogue, cocktails and patients, as plain rows ready for bulk inserts.

Everything is drawn from one seeded random generator, so a scale always gives the same clinic
(relative to the day it is built). Quantities are kept in thousandths (int) while simulating
and become Decimals only in the rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import select

from formulary.catalogue.gtin import gtin_check_digit
from formulary.catalogue.models import AllergenGroup, Condition, Substance, TreatmentGoal, group_member
from formulary.extensions import db
from formulary.patients.folding import search_key

# At scale 100 (the large dataset); scale 10 is a tenth of each.
FULL = {"products": 1_000, "lots_per_product": 50, "patients": 20_000, "sessions": 100_000, "cocktails": 200}
HISTORY_DAYS = 3 * 365  # the years of records the sessions span
ACTIVE_CATEGORIES = {
    "hyaluronic acid": "hyaluronic acid", "vitamin": "vitamin", "antioxidant": "antioxidant",
    "coenzyme": "antioxidant", "amino acid": "amino acid", "peptide": "peptide", "mineral": "mineral",
    "anaesthetic": "anaesthetic", "nucleotide": "other", "plant extract": "other", "other": "other",
}
EXCIPIENT_CATEGORIES = {"excipient", "preservative"}
BRANDS = ["Lumière Derm", "Aqualis Labs", "Revitalis", "Nutriderm", "Cobalis", "Clarté Pharma", "Peptiva",
          "Tensiline", "Nucleo Bio", "Oligomed", "Botanica Meso", "Anestica", "Infusa", "Dermavita", "Mesolab",
          "Vitaskin", "Hyalux", "Purederm", "Cellvie", "Novaderm"]
SIZES = [1, 1, 2, 2, 2, 3, 5, 5, 10]
STRENGTHS = ["0.5%", "1%", "1.5%", "2%", "3%", "5%", "10%", "20%", "Complex", "Forte", "Plus", "Pure"]
ADJECTIVES = ["Hydra", "Bright", "Radiant", "Firm", "Pure", "Velvet", "Clear", "Deep", "Fresh", "Silk",
              "Golden", "Calm", "Vital", "Dew", "Lift", "Glow", "Smooth", "Prime", "Nova", "Luminous"]
NOUNS = ["Boost", "Renew", "Mesh", "Balance", "Revive", "Contour", "Elixir", "Infusion", "Essence", "Repair",
         "Shield", "Bloom", "Tone", "Complex", "Ritual", "Matrix", "Cocktail", "Veil", "Serum", "Drop"]
FIRST_NAMES = ["Amelia", "Sofia", "Hannah", "Chloé", "Marta", "Priya", "Olivia", "Daniel", "Grace", "Leila",
               "Emma", "Isabel", "Yuki", "Rebecca", "Aisha", "Thomas", "Nina", "Camille", "Robert", "Mei",
               "Fatima", "Laura", "Sarah", "Ingrid", "Lucía", "Anna", "Zoe", "Helen", "Jana", "Michael",
               "Elena", "Julia", "Clara", "Maya", "Lina", "Noor", "Ava", "Mila", "Eva", "Ines", "Paul", "Omar",
               "Lea", "Rosa", "Vera", "Alice", "Nora", "Iris", "Sara", "Tara"]
LAST_NAMES = ["Hart", "Marquez", "Lindqvist", "Dubois", "Kowalska", "Raman", "Bennett", "Okafor", "Whitfield",
              "Haddad", "Novak", "Moreno", "Tanaka", "Stone", "Bello", "Berg", "Petrović", "Laurent", "Hughes",
              "Chen", "Al-Sayed", "Rossi", "Cohen", "Johansson", "Fernández", "Schmidt", "Papadopoulos",
              "Murphy", "Horvat", "Adeyemi", "Silva", "Müller", "Nowak", "Costa", "Ivanova", "Jensen", "Kaya",
              "Martin", "Rahman", "Santos", "Weber", "Yilmaz", "Dupont", "Lopez", "Meyer", "Nielsen", "Park",
              "Russo", "Sato", "Vogel"]
FREE_TEXT = ["reacted to a 'glow booster' at another clinic", "rash after an unnamed vitamin drip",
             "swelling after a filler abroad, product unknown", "itching after 'skin booster' injections"]
SKIN_TYPES = ["I", "II", "III", "IV", "V", "VI"]


@cache
def to_decimal(thousandths: int) -> Decimal:
    """A quantity kept in thousandths, as the Decimal stored in NUMERIC(…, 3)."""
    return Decimal(thousandths).scaleb(-3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC timestamp on a day."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass
class Reference:
    """What the generator takes from the reference library and the users already there."""

    actives: list[tuple[int, str, str]]  # (id, name, category)
    excipients: list[int]
    water_id: int
    allergens: list[int]  # substances a patient is plausibly allergic to
    groups: list[int]
    members: dict[int, set[int]]  # group id → substance ids
    substance_groups: dict[int, set[int]]  # substance id → group ids
    conditions: list[int]
    skin_infection_id: int
    goals: list[int]
    manager_id: int
    practitioner_ids: list[int]


def load_reference(manager_id: int, practitioner_ids: list[int]) -> Reference:
    """Read the synced reference library (substances, groups, conditions, goals)."""
    substances = db.session.execute(select(Substance.id, Substance.name, Substance.category)).all()
    members: dict[int, set[int]] = {}
    substance_groups: dict[int, set[int]] = {}
    for group_id, substance_id in db.session.execute(select(group_member.c.group_id, group_member.c.substance_id)):
        members.setdefault(group_id, set()).add(substance_id)
        substance_groups.setdefault(substance_id, set()).add(group_id)
    conditions = dict(db.session.execute(select(Condition.name, Condition.id)).all())
    by_name = {name: sid for sid, name, _category in substances}
    return Reference(
        actives=[(sid, name, cat) for sid, name, cat in substances if cat in ACTIVE_CATEGORIES],
        excipients=[sid for sid, _name, cat in substances if cat in EXCIPIENT_CATEGORIES],
        water_id=by_name["water for injection"],
        allergens=[sid for sid, _name, cat in substances if cat in ("preservative", "anaesthetic", "allergen")]
        + [sid for sid, _name, _cat in substances],
        groups=sorted(db.session.scalars(select(AllergenGroup.id))),
        members=members, substance_groups=substance_groups,
        conditions=sorted(conditions.values()), skin_infection_id=conditions["active skin infection"],
        goals=sorted(db.session.scalars(select(TreatmentGoal.id))),
        manager_id=manager_id, practitioner_ids=practitioner_ids,
    )


@dataclass
class Product:
    """What the simulation needs of a product."""

    id: int
    unit_size: int  # thousandths of a mL
    single_use: bool
    margin_days: int
    unit_cost: Decimal
    substances: set[int] = field(default_factory=set)
    blocks: set[int] = field(default_factory=set)  # condition ids that block it
    cautions: set[int] = field(default_factory=set)


@dataclass
class Version:
    """What the simulation needs of a cocktail version."""

    id: int
    cocktail_id: int
    created: date
    components: list[tuple[Product, int]]  # (product, amount in thousandths)
    substances: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)
    blocks: set[int] = field(default_factory=set)
    cautions: set[int] = field(default_factory=set)


@dataclass
class Patient:
    """What the simulation needs of a patient."""

    id: int
    created: date
    status: str
    allergy_substances: set[int] = field(default_factory=set)
    allergy_groups: set[int] = field(default_factory=set)
    free_text: int | None = None  # the id of an active free-text allergy
    conditions: set[int] = field(default_factory=set)


def _unique(rng: random.Random, taken: set[str], make) -> str:
    for _ in range(20):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    name = f"{make()} {len(taken) + 1}"
    taken.add(name)
    return name


def build_products(rng: random.Random, ref: Reference, count: int, today: date, rows: dict) -> list[Product]:
    """Products with compositions (actives and excipients) and contraindications."""
    products, names = [], set()
    component_id = 0
    created = at(today - timedelta(days=HISTORY_DAYS + 400), 9)
    for pid in range(1, count + 1):
        active_id, active_name, category = rng.choice(ref.actives)
        size = rng.choice(SIZES)
        single_use = rng.random() < 0.9
        brand = rng.choice(BRANDS)
        name = _unique(rng, names, lambda a=active_name, b=brand, s=size: (
            f"{b} {a[:1].upper()}{a[1:]} {rng.choice(STRENGTHS)} {s} mL"))
        body = f"20{pid:010d}"
        cost = Decimal(rng.randint(150, 4000)) / 100 / size
        product = Product(pid, size * 1000, single_use, 30 if rng.random() < 0.05 else 0,
                          cost.quantize(Decimal("0.0001")))
        rows["product"].append({
            "id": pid, "name": name, "category": ACTIVE_CATEGORIES[category], "manufacturer": brand,
            "gtin": None if rng.random() < 0.15 else "0" + body + str(gtin_check_digit(body)), "unit": "mL",
            "unit_size": Decimal(size), "single_use": single_use,
            "opened_shelf_life_days": None if single_use else 28,
            "storage": "2–8 °C" if category in ("peptide", "hyaluronic acid") else "Below 25 °C",
            "reorder_level": Decimal(size * rng.randint(2, 10)), "expiry_margin_days": product.margin_days,
            "notes": "", "retired": rng.random() < 0.02, "created_at": created,
        })
        parts = [(active_id, "active", "10 mg/mL")]
        if rng.random() < 0.2:
            parts.append((rng.choice(ref.actives)[0], "active", ""))
        parts += [(sid, "excipient", "") for sid in rng.sample(ref.excipients, rng.randint(1, 3))]
        parts.append((ref.water_id, "excipient", ""))
        seen = set()
        for position, (sid, role, strength) in enumerate(parts):
            if sid in seen:
                continue
            seen.add(sid)
            component_id += 1
            rows["product_component"].append({"id": component_id, "product_id": pid, "substance_id": sid,
                                              "role": role, "strength": strength, "position": position})
        product.substances = seen
        conditions = {ref.skin_infection_id: "block"} if rng.random() < 0.8 else {}
        for cid in rng.sample(ref.conditions, rng.choice([0, 0, 1, 1, 2])):
            conditions.setdefault(cid, rng.choice(["block", "caution"]))
        for cid, severity in conditions.items():
            rows["product_contraindication"].append({"product_id": pid, "condition_id": cid, "severity": severity})
            (product.blocks if severity == "block" else product.cautions).add(cid)
        products.append(product)
    return products


def build_cocktails(rng: random.Random, ref: Reference, products: list[Product], count: int, today: date,
                    rows: dict) -> list[list[Version]]:
    """Cocktails with 1–3 versions each; a later version changes an amount, adds or drops a product."""
    start = today - timedelta(days=HISTORY_DAYS)
    usable = [p for p, row in zip(products, rows["product"], strict=True) if not row["retired"]]
    deck = _Deck(rng, usable)  # recipes take products in turn, so that (nearly) every product is in use
    cocktails, names, version_id, component_id = [], set(), 0, 0
    for cid in range(1, count + 1):
        name = _unique(rng, names, lambda: f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}")
        days = sorted(rng.randint(30, HISTORY_DAYS - 30) for _ in range(rng.choice([1, 1, 2, 2, 3]) - 1))
        created = [start - timedelta(days=10)] + [start + timedelta(days=d) for d in days]
        rows["cocktail"].append({"id": cid, "name": name, "retired": rng.random() < 0.08,
                                 "created_at": at(created[0], 10)})
        goals = rng.sample(ref.goals, rng.randint(1, 2))
        recipe = [(p, rng.choice([500, 1000, 1000, 1500, 2000])) for p in deck.deal(rng.randint(2, 5))]
        versions = []
        for number, day in enumerate(created, start=1):
            if number > 1:
                recipe = _revise(rng, recipe, deck)
            version_id += 1
            version = Version(version_id, cid, day, list(recipe))
            for product, _amount in recipe:
                version.substances |= product.substances
                version.blocks |= product.blocks
                version.cautions |= product.cautions
            version.groups = {g for s in version.substances for g in ref.substance_groups.get(s, ())}
            rows["cocktail_version"].append({
                "id": version_id, "cocktail_id": cid, "number": number, "notes": "Nappage over the full face.",
                "series_sessions": rng.choice([3, 4, 4, 6]), "series_interval_days": rng.choice([7, 14, 14, 21]),
                "created_at": at(day, 10, 30), "created_by_id": ref.manager_id,
            })
            rows["cocktail_version_goal"] += [{"version_id": version_id, "goal_id": g} for g in goals]
            for position, (product, amount) in enumerate(recipe):
                component_id += 1
                rows["cocktail_component"].append({"id": component_id, "version_id": version_id,
                                                   "product_id": product.id, "amount": to_decimal(amount),
                                                   "position": position})
            versions.append(version)
        cocktails.append(versions)
    return cocktails


class _Deck:
    """Products dealt in a shuffled order, reshuffled once all are dealt."""

    def __init__(self, rng: random.Random, products: list[Product]):
        self.rng, self.products, self.order = rng, products, []

    def deal(self, count: int, avoid: set[int] = frozenset()) -> list[Product]:
        dealt: list[Product] = []
        while len(dealt) < count:
            if not self.order:
                self.order = self.rng.sample(self.products, len(self.products))
            product = self.order.pop()
            if product.id not in avoid and product not in dealt:
                dealt.append(product)
        return dealt


def _revise(rng: random.Random, recipe: list, deck: _Deck) -> list:
    recipe = list(recipe)
    change = rng.random()
    if change < 0.4 or len(recipe) == 1 and change < 0.7:
        recipe.append((deck.deal(1, {p.id for p, _ in recipe})[0], 1000))
    elif change < 0.7:
        recipe.pop(rng.randrange(len(recipe)))
    else:
        index = rng.randrange(len(recipe))
        recipe[index] = (recipe[index][0], recipe[index][1] + 500)
    return recipe


def build_patients(rng: random.Random, ref: Reference, count: int, today: date, rows: dict) -> list[Patient]:
    """Patients with a realistic mix of allergy records and conditions."""
    patients, allergy_id = [], 0
    for pid in range(1, count + 1):
        created = today - timedelta(days=rng.randint(40, HISTORY_DAYS + 200))
        roll = rng.random()
        status = "none-known" if roll < 0.45 else "unknown" if roll < 0.60 else "recorded"
        patient = Patient(pid, created, status)
        name, reference = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", f"C-{pid:06d}"
        rows["patient"].append({
            "id": pid, "name": name,
            "date_of_birth": date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            "reference": reference, "skin_type": rng.choice(SKIN_TYPES), "notes": "",
            "allergy_status": status, "created_at": at(created, 9),
            # Written by the model in the app; the bulk load writes them itself (see patients/folding.py).
            "phone": "", "email": "", "contact_ok": False, "search_key": search_key(name, reference),
        })
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3]) if status == "recorded" else 0):
            allergy_id += 1
            kind = rng.random()
            substance_id = group_id = text = None
            if kind < 0.7:
                substance_id = rng.choice(ref.allergens)
            elif kind < 0.9:
                group_id = rng.choice(ref.groups)
            else:
                text = rng.choice(FREE_TEXT)
            clinical = rng.choices(["active", "inactive", "resolved"], [85, 5, 10])[0]
            rows["allergy"].append({
                "id": allergy_id, "patient_id": pid, "substance_id": substance_id, "group_id": group_id,
                "text": text, "criticality": rng.choices(["low", "high", "unable-to-assess"], [50, 35, 15])[0],
                "reaction": "Redness and swelling at the injection sites", "status": clinical,
                "recorded_by_id": rng.choice(ref.practitioner_ids), "recorded_at": at(created, 9, 20),
            })
            if clinical != "active":
                continue
            if substance_id:
                patient.allergy_substances.add(substance_id)
            elif group_id:
                patient.allergy_groups.add(group_id)
            else:
                patient.free_text = allergy_id
        for cid in rng.sample(ref.conditions, rng.choices([0, 1, 2], [82, 15, 3])[0]):
            patient.conditions.add(cid)
            rows["patient_condition"].append({"patient_id": pid, "condition_id": cid, "noted_at": at(created, 9, 30)})
        patients.append(patient)
    return patients
