"""The stock rule: the lots FEFO would draw on the day must cover every component."""

from datetime import timedelta

import pytest

from formulary.safety.check import run_check
from tests.safety.world import ON, component, lot, patient

EXPIRED = ON - timedelta(days=1)


def stock_findings(lots, *, amount="2", margin_days=0):
    vitamin_c = component(
        1,
        "Vitamin C 20% 5 mL",
        ("ascorbic acid", "active"),
        amount=amount,
        lots=lots,
        margin_days=margin_days,
    )
    result = run_check(patient(), [vitamin_c], (), on=ON)
    assert all(finding.kind == "stock" for finding in result.findings)
    return result


@pytest.mark.parametrize(
    ("lots", "message"),
    [
        ([lot(1, "5")], None),
        ([lot(1, "1"), lot(2, "1")], None),  # two lots together cover it
        ([lot(1, "5", status="recalled"), lot(2, "2")], None),  # a bad lot beside a good one: no finding
        (
            [lot(1, "1.5", number="24C001")],
            "Blocked: not enough stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01"
            " — only 1.5 mL in date and available (lot 24C001)",
        ),
        ([], "Blocked: no stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01 — none on hand"),
        ([lot(1, "0")], "Blocked: no stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01 — none on hand"),
        (
            [lot(1, "5", expiry=EXPIRED, number="24A117")],
            "Blocked: no usable stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01 — lot 24A117 expired",
        ),
        (
            [lot(1, "5", status="recalled", number="24B200")],
            "Blocked: no usable stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01 — lot 24B200 recalled",
        ),
        (
            [lot(1, "5", status="quarantined", number="24B300")],
            "Blocked: no usable stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01 — lot 24B300 quarantined",
        ),
        (
            [lot(1, "5", expiry=EXPIRED, number="24A117"), lot(2, "5", status="recalled", number="24B200")],
            "Blocked: no usable stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01"
            " — lot 24A117 expired, lot 24B200 recalled",
        ),
        (
            [lot(1, "1", number="24C001"), lot(2, "5", status="quarantined", number="24B300")],
            "Blocked: not enough stock of Vitamin C 20% 5 mL for 2 mL on 2026-12-01"
            " — only 1 mL in date and available (lot 24C001), lot 24B300 quarantined",
        ),
    ],
)
def test_stock_rule(lots, message):
    result = stock_findings(lots)
    assert [finding.message for finding in result.findings] == ([message] if message else [])
    assert result.outcome == ("blocked" if message else "clear")


@pytest.mark.parametrize(("margin_days", "blocked"), [(0, False), (9, False), (10, True), (30, True)])
def test_expired_on_the_day_honours_the_margin(margin_days, blocked):
    result = stock_findings(
        [lot(1, "5", expiry=ON + timedelta(days=9), number="24A117")], margin_days=margin_days
    )
    assert result.outcome == ("blocked" if blocked else "clear")
    if blocked:
        assert result.findings[0].message.endswith("— lot 24A117 expired")


def test_stock_finding_path_names_product_lots_and_reasons():
    result = stock_findings([lot(7, "5", status="recalled", number="24B200")])
    [finding] = result.findings
    assert finding.path == (
        "product: Vitamin C 20% 5 mL",
        "component 1",
        "lot 24B200: recalled",
        "short by 2 mL",
    )
    assert (finding.severity, finding.lot_id, finding.product_id, finding.component_position) == (
        "block",
        7,
        501,
        1,
    )


def test_several_lots_left_out_name_no_single_lot():
    [finding] = stock_findings([lot(1, "5", expiry=EXPIRED), lot(2, "5", status="recalled")]).findings
    assert finding.lot_id is None
    assert finding.path[2:] == ("lot L1: expired", "lot L2: recalled", "short by 2 mL")


def test_each_short_component_is_its_own_finding():
    first = component(1, "Vitamin C 20% 5 mL", ("ascorbic acid", "active"), lots=[])
    second = component(2, "Glycine 2 mL", ("glycine", "active"))
    third = component(3, "Lidocaine 1% 2 mL", ("lidocaine", "active"), lots=[lot(1, "1")])
    result = run_check(patient(), [first, second, third], (), on=ON)
    assert [(f.kind, f.component_position) for f in result.findings] == [("stock", 1), ("stock", 3)]
    assert result.summary.lots == 2  # the one drawn for the glycine and the short lidocaine lot
