"""Which basis a money figure is on (billed or modelled), and why two bases differ."""

from __future__ import annotations

import streamlit as st

from dashboard.components import formats
from data.repos.cost_basis import BilledRunRate

BILLED = "billed"
MODELLED = "modelled"
BILLED_HELP = (
    "Billed: FOCUS EffectiveCost from your billing data (amortized, after discounts), every "
    "charge category."
)
MODELLED_HELP = (
    "Modelled: the cost model's price of a configuration (catalog prices × capacity × 730 h, "
    "after commitment and spot discounts), compute only."
)


def billed_vs_modelled(billed: BilledRunRate | None, modelled_usd: float, currency: str) -> None:
    """Caption beside a modelled config cost: the service's billed run-rate and what makes the
    two differ (categories the model does not price, compute billed otherwise than modelled)."""
    if billed is None:
        st.caption(f"{MODELLED_HELP} No billed cost is allocated to this service yet.")
        return
    if billed.billing_currency != currency:
        st.caption(
            f"{MODELLED_HELP} Billed in {billed.billing_currency}: not compared with a "
            f"{currency} model."
        )
        return
    money = billed.billing_currency
    other = billed.monthly_not_modelled
    compute_gap = billed.monthly_compute - modelled_usd
    st.caption(
        f"Modelled cost now {formats.money(modelled_usd, money)} /mo (compute of the current "
        f"configuration) vs billed {formats.money(billed.monthly_total, money)} /mo (last 30 d "
        f"run-rate, FOCUS effective cost). The difference: "
        f"{formats.money(other, money)} /mo of categories the model does not price "
        f"({_categories(billed)}), and {formats.money(compute_gap, money)} /mo of compute billed "
        "otherwise than modelled (config changes within the month, partial hours, prices)."
    )


def _categories(billed: BilledRunRate) -> str:
    others = sorted(
        (c for c in billed.monthly_by_category if c != "Compute"),
        key=lambda c: -billed.monthly_by_category[c],
    )
    return ", ".join(c.lower() for c in others) or "none"
