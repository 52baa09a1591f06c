"""The Simulator page (AppTest): defaults, levers move the KPIs, save, compare, promote, teams."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.simulator.charts import cost_steps
from data.models import AuditEventRow, SimulationRow
from data.repos import (
    promotions,
    recommendations,
    services,
    simulations,
    stored_recommendations,
    usage,
)
from data.repos.services import list_services
from data.settings import Settings
from engine.simulation import MonthlyCost, Spread
from tests.dashboard.conftest import (
    NOW,
    USAGE_DAYS,
    USAGE_END,
    chart_titles,
    figures,
    metric_values,
    numbers,
    open_page,
    sessions_on,
    shown,
)
from tests.factories import make_new_service, make_usage, make_vm_config

PAGE = "app_pages/simulator.py"


@pytest.fixture
def sessions(seeded_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(seeded_database)


@pytest.fixture
def committed_service(sessions: sessionmaker[Session]) -> None:
    """Ledger API (payments, vm): 4 × m5.large, 60 % committed; listed after Checkout API
    (3 × m5.large, nothing committed), the service the page opens on."""
    start = USAGE_END - timedelta(days=USAGE_DAYS)
    with sessions.begin() as session:
        (ledger,) = services.add_services(
            session, [make_new_service("ledger", name="Ledger API", team="payments")], now=start
        )
        config = make_vm_config(replicas=4, commitment_coverage_pct=60.0)
        services.set_capacity(session, ledger.id, config, actor="t", now=start)
        hours = USAGE_DAYS * 24
        usage.insert_usage(session, make_usage(ledger.id, hours=hours, start=start), source="test")


def _open() -> AppTest:
    return open_page(PAGE, timeout_s=90)


def _pick(at: AppTest, name: str) -> None:
    labels = at.selectbox(key="sim_service").options
    at.selectbox(key="sim_service").select_index(
        next(i for i, label in enumerate(labels) if label.startswith(name))
    ).run()
    assert not at.exception, [e.message for e in at.exception]


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The (first) table that has `column` (st.dataframe keys are not exposed to AppTest)."""
    found: pd.DataFrame = next(d.value for d in at.dataframe if column in d.value.columns)
    return found


def _save(at: AppTest, name: str) -> None:
    at.text_input(key="sim_save_name").input(name).run()
    at.button(key="sim_save").click().run()
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.usefixtures("seeded_database")
def test_defaults_simulate_the_current_config_with_no_change() -> None:
    at = _open()

    metrics = metric_values(at)

    assert at.title[0].value == "Simulator"
    assert at.selectbox(key="sim_service").value is not None
    assert metrics["Monthly cost Δ"][0] == "$0 /mo"
    assert metrics["Breach hours"][1].startswith("+0 h vs current")
    assert set(metrics) == {"Monthly cost Δ", "P(SLA holds)", "Breach hours", "Risk"}
    assert chart_titles(at) == [
        "p95 latency: 3 × m5.large at +0 % demand",
        "CPU utilization: 3 × m5.large at +0 % demand",
        "Monthly cost: $210 → $210",
    ]


@pytest.mark.usefixtures("seeded_database")
def test_latency_chart_draws_a_band_a_median_and_the_sla_target() -> None:
    at = _open()

    latency = figures(at)[0]

    assert [t["name"] for t in latency["data"]] == [
        "5 %",
        "5–95 % band",
        "Median",
        "SLA target 250 ms",
    ]
    assert latency["data"][1]["fill"] == "tonexty"
    assert latency["layout"]["yaxis"]["title"]["text"] == "p95 latency (ms)"
    waterfall = figures(at)[2]["data"][0]
    assert waterfall["x"] == ["Current", "Compute", "Commitment", "Spot", "Schedule", "Scenario"]


@pytest.mark.usefixtures("seeded_database")
def test_moving_the_growth_slider_changes_the_kpis_and_titles() -> None:
    at = _open()
    before = metric_values(at)

    at.slider(key="sim_growth_pct").set_value(150).run()

    after = metric_values(at)
    assert after["Breach hours"] != before["Breach hours"]
    assert chart_titles(at)[0].endswith("3 × m5.large at +150 % demand")


def _hours_at_or_above(capacity_cores: float, *, demand_scale: float = 1.0) -> int:
    """Hours of the seeded usage whose p95 CPU × demand_scale reaches `capacity_cores`."""
    cpu_p95_cores = make_usage(hours=USAGE_DAYS * 24).cpu_used_p95_cores
    return int(np.count_nonzero(cpu_p95_cores * demand_scale >= capacity_cores))


@pytest.mark.usefixtures("seeded_database")
def test_saturated_hours_are_marked_at_the_top_and_counted_in_the_title() -> None:
    at = _open()

    at.slider(key="sim_growth_pct").set_value(150).run()

    # 3 × m5.large = 6 cores; p95 CPU 1.2–3.6 cores × 2.5 reaches them in about half the hours
    saturated = _hours_at_or_above(6.0, demand_scale=2.5)
    assert 100 < saturated < 336
    latency = figures(at)[0]
    assert latency["layout"]["title"]["text"] == (
        f"p95 latency: {saturated} h saturated (ρ ≥ 1) · 3 × m5.large at +150 % demand"
    )
    (marks,) = [t for t in latency["data"] if t["name"] == "Saturated (ρ ≥ 1)"]
    axis_top = latency["layout"]["yaxis"]["range"][1]
    assert len(marks["x"]) >= saturated  # every hour-of-week a saturated hour falls on
    assert marks["y"][0] == pytest.approx(axis_top / 1.04)
    assert set(marks["y"]) == {marks["y"][0]}
    breach_hours = int(metric_values(at)["Breach hours"][0].split()[0].replace(",", ""))
    assert breach_hours >= saturated


@pytest.mark.usefixtures("seeded_database")
def test_fewer_replicas_cost_less() -> None:
    at = _open()

    at.slider(key="sim_replicas").set_value(2).run()

    value, delta = metric_values(at)["Monthly cost Δ"]
    assert value == "-$70 /mo"
    assert delta == "-33.3 % → $140 /mo"
    assert chart_titles(at)[2] == "Monthly cost: $210 → $140"


@pytest.mark.usefixtures("committed_service")
def test_picking_a_service_pushes_its_config_to_the_levers_in_the_browser() -> None:
    at = _open()

    _pick(at, "Ledger API")

    coverage, replicas = at.slider(key="sim_commitment_pct"), at.slider(key="sim_replicas")
    assert (coverage.value, replicas.value) == (60, 4)
    # A keyed slider keeps its identity across services: unless the page sets the value, the
    # browser goes on showing (and sends back on the next move) Checkout's 0 %.
    assert coverage.proto.set_value
    assert replicas.proto.set_value
    assert metric_values(at)["Monthly cost Δ"][0] == "$0 /mo"


@pytest.mark.usefixtures("committed_service")
def test_one_more_replica_on_a_committed_service_runs_on_demand() -> None:
    at = _open()
    _pick(at, "Ledger API")

    at.slider(key="sim_replicas").set_value(5).run()

    # today: (2.4 × $0.096 × 0.63 + 1.6 × $0.096) × 730 = $218; the fifth replica: +$70.08
    value, delta = metric_values(at)["Monthly cost Δ"]
    assert value == "+$70 /mo"
    assert delta == "+32.1 % → $288 /mo"


@pytest.mark.usefixtures("committed_service")
def test_on_a_committed_service_demand_and_the_coverage_lever_move_what_they_should() -> None:
    at = _open()
    _pick(at, "Ledger API")

    at.slider(key="sim_growth_pct").set_value(30).run()
    growth_only = metric_values(at)["Monthly cost Δ"][0]
    at.slider(key="sim_commitment_pct").set_value(100).run()
    full_coverage = metric_values(at)["Monthly cost Δ"][0]

    assert growth_only == "$0 /mo"  # a fixed count costs the same whatever the demand
    assert full_coverage == "-$41 /mo"  # 4 × $0.096 × 0.37 × 0.4 × 730 = $41.48 saved


@pytest.mark.usefixtures("seeded_database")
def test_saved_scenarios_are_listed_compared_and_exported() -> None:
    at = _open()
    _save(at, "as is")
    at.slider(key="sim_replicas").set_value(5).run()

    _save(at, "five replicas")

    table = _table(at, "created_by")
    assert sorted(table["name"]) == ["as is", "five replicas"]
    assert set(table["created_by"]) == {Settings(_env_file=None).local_actor}
    compared = _table(at, "Figure")
    assert list(compared.columns) == ["Figure", "as is", "five replicas"]
    assert "Monthly cost (USD)" in compared["Figure"].tolist()
    assert at.get("download_button")
    assert "Saved scenario “five replicas”." in [shown(s.value) for s in at.success]


def _open_etl(sessions: sessionmaker[Session]) -> AppTest:
    """The simulator on Nightly ETL: 1 replica saturates, so 3 keep its SLA (Checkout API,
    the first service, misses its 250 ms in 5 % of hours whatever the capacity)."""
    with sessions() as session:
        etl = next(s for s in list_services(session) if s.slug == "etl")
    at = _open()
    at.selectbox(key="sim_service").set_value(etl.id).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_saved_scenario_becomes_an_open_recommendation(
    sessions: sessionmaker[Session],
) -> None:
    at = _open_etl(sessions)
    at.slider(key="sim_replicas").set_value(3).run()
    _save(at, "three replicas")

    at.button(key="sim_promote").click().run()

    assert not at.exception, [e.message for e in at.exception]
    with sessions() as session:
        found = stored_recommendations.list_recommendations(session, status="open")
    promoted = [rec for rec in found if rec.scope == promotions.SCENARIO_SCOPE]
    assert len(promoted) == 1
    assert promoted[0].kind == "horizontal"
    assert "from scenario three replicas" in promoted[0].reason
    assert any(f"Recommendation #{promoted[0].id} is open" in shown(s.value) for s in at.success)


def test_a_saved_scenario_can_be_deleted(sessions: sessionmaker[Session]) -> None:
    at = _open()
    _save(at, "keep")
    at.slider(key="sim_replicas").set_value(5).run()
    _save(at, "drop")

    at.button(key="sim_delete").click().run()  # the newest is picked

    assert not at.exception, [e.message for e in at.exception]
    assert list(_table(at, "created_by")["name"]) == ["keep"]
    assert "Scenario deleted." in [shown(s.value) for s in at.success]
    with sessions() as session:
        actions = session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)).all()
    assert actions == ["scenario_save", "scenario_save", "scenario_delete"]


def _as_viewer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "vic")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"vic": "viewer"}')
    st.cache_resource.clear()  # the settings (and so the principal) are built once per process
    st.cache_data.clear()


def _saved_by_admin(sessions: sessionmaker[Session]) -> tuple[AppTest, int]:
    at = _open_etl(sessions)
    at.slider(key="sim_replicas").set_value(3).run()
    _save(at, "three replicas")
    with sessions() as session:
        return at, int(session.scalar(select(func.max(SimulationRow.id))) or 0)


def test_a_viewer_sees_every_scenario_action_disabled_and_why(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _saved_by_admin(sessions)
    _as_viewer(monkeypatch)  # the services refuse a forged click: tests/data/test_*_actions.py

    at = _open_etl(sessions)

    buttons = {key: at.button(key=key) for key in ("sim_save", "sim_promote", "sim_delete")}
    assert all(button.disabled for button in buttons.values())
    assert buttons["sim_save"].help == "vic is a viewer: saving a scenario needs the analyst role."
    assert "proposing a scenario needs the analyst role" in str(buttons["sim_promote"].help)


def test_a_refusal_from_the_service_is_shown_and_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    at, saved_id = _saved_by_admin(sessions)
    with sessions.begin() as session:  # another tab deleted it meanwhile
        simulations.delete_scenario(session, saved_id)

    at.button(key="sim_promote").click().run()

    assert not at.exception, [e.message for e in at.exception]
    warnings = " ".join(shown(w.value) for w in at.warning)
    assert f"Scenario {saved_id} does not exist. Nothing was changed." in warnings
    with sessions() as session:
        assert stored_recommendations.list_recommendations(session) == []


def test_a_scenario_that_breaks_the_sla_is_not_promoted(sessions: sessionmaker[Session]) -> None:
    at = _open()  # Checkout API: no capacity keeps its SLA, so no scenario of it does
    at.slider(key="sim_replicas").set_value(2).run()
    _save(at, "two replicas")

    at.button(key="sim_promote").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert "does not keep the SLA" in " ".join(w.value for w in at.warning)
    with sessions() as session:
        assert stored_recommendations.list_recommendations(session) == []


@pytest.mark.usefixtures("seeded_database")
def test_team_mode_lists_who_breaks_under_growth() -> None:
    at = _open()

    at.segmented_control(key="sim_mode").set_value("A team").run()
    at.selectbox(key="sim_team").set_value("payments").run()

    assert not at.exception, [e.message for e in at.exception]
    metrics = metric_values(at)
    assert metrics["Services breaking the SLA"][1] == "at +30 % demand"
    assert _table(at, "keep_whole_usd")["service"].tolist() == ["checkout"]


@pytest.mark.usefixtures("empty_database")
def test_empty_database_explains_how_to_load_data() -> None:
    at = _open()

    assert "make seed" in " ".join(str(m.value) for m in at.markdown)
    assert not at.metric


def test_a_promoted_scenario_opens_on_the_recommendations_page(
    sessions: sessionmaker[Session],
) -> None:
    at = _open_etl(sessions)
    at.slider(key="sim_replicas").set_value(4).run()
    _save(at, "four replicas")
    at.button(key="sim_promote").click().run()
    with sessions() as session:
        (promoted,) = [
            rec
            for rec in stored_recommendations.list_recommendations(session, status="open")
            if rec.scope == promotions.SCENARIO_SCOPE
        ]

    at.query_params.update({"rec": str(promoted.id)})
    at.switch_page("app_pages/recommendations.py").run()

    assert not at.exception, [e.message for e in at.exception]
    assert promoted.id in _table(at, "recommendation_id")["recommendation_id"].tolist()
    assert "from scenario four replicas" in " ".join(str(m.value) for m in at.markdown)


def test_a_saturating_proposal_is_marked_on_the_recommendation_replay(
    sessions: sessionmaker[Session],
) -> None:
    """A saturating proposal is never offered now (its promotion is refused), but one stored
    before that rule, here rejected, still opens and its replay marks the saturated hours."""
    at = _open()
    at.slider(key="sim_replicas").set_value(1).run()
    _save(at, "one replica")
    at.button(key="sim_promote").click().run()
    shown = [*at.warning, *at.error, *at.toast]
    assert "cannot be offered" in " ".join(str(w.value) for w in shown)
    with sessions.begin() as session:
        saved_id = session.scalar(select(func.max(SimulationRow.id)))
        saved = simulations.get_scenario(session, int(saved_id or 0))
        assert saved.summary is not None
        rec = promotions._recommendation(saved, saved.summary, currency="USD")
        row = recommendations._new_row(rec, now=NOW)
        row.status, row.decision_reason = "rejected", "saturates"
        session.add(row)
        session.flush()
        promoted = row.id

    at.query_params.update({"rec": str(promoted)})
    at.switch_page("app_pages/recommendations.py").run()

    assert not at.exception, [e.message for e in at.exception]
    saturated = _hours_at_or_above(2.0)  # 1 × m5.large: p95 CPU 1.2–3.6 cores on 2
    latency = figures(at)[0]
    assert latency["layout"]["title"]["text"] == (
        f"Projected p95 latency: saturated (ρ ≥ 1) 0 h now → {saturated} h proposed"
    )
    (marks,) = [t for t in latency["data"] if t["name"] == "Proposed config: saturated (ρ ≥ 1)"]
    assert len(marks["x"]) == saturated
    assert marks["y"][0] == pytest.approx(latency["layout"]["yaxis"]["range"][1] / 1.04)
    proposed = next(t for t in latency["data"] if t["name"] == "Proposed config")
    assert sum(math.isnan(y) for y in numbers(proposed["y"])) == saturated  # a gap, marked above


@pytest.mark.usefixtures("seeded_database")
def test_a_service_without_latency_says_why_there_is_no_latency_chart() -> None:
    at = _open()
    labels = at.selectbox(key="sim_service").options
    etl = next(i for i, label in enumerate(labels) if label.startswith("Nightly ETL"))

    at.selectbox(key="sim_service").select_index(etl).run()

    assert not at.exception, [e.message for e in at.exception]
    assert any("No latency projection" in i.value for i in at.info)
    assert chart_titles(at)[0] == "CPU utilization: 1 × m5.large at +0 % demand"


@pytest.mark.usefixtures("seeded_database")
def test_a_service_the_catalog_cannot_price_says_so_instead_of_failing() -> None:
    at = _open()
    labels = at.selectbox(key="sim_service").options
    search = next(i for i, label in enumerate(labels) if label.startswith("Search API"))

    at.selectbox(key="sim_service").select_index(search).run()

    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [w.value for w in at.warning if "cannot be simulated" in w.value]
    assert "no Kubernetes (e2) prices for region 'us-east-1'" in warning
    assert at.select_slider(key="sim_cpu_request_m").value == 500


@pytest.mark.usefixtures("seeded_database")
def test_sidebar_filters_narrow_the_service_picker() -> None:
    at = _open()

    at.multiselect(key="flt_teams").select("data").run()

    assert [label.split(" · ")[0] for label in at.selectbox(key="sim_service").options] == [
        "Nightly ETL"
    ]
    assert "showing 1 of 3 services" in " ".join(i.value for i in at.sidebar.info)


def _cost(
    list_usd: float, effective: float, waste: float, spot: float, schedule: float
) -> MonthlyCost:
    def flat(usd: float) -> Spread:
        return Spread(usd, usd, usd)

    return MonthlyCost(
        flat(list_usd), flat(effective), flat(waste), flat(spot), flat(schedule),
        np.array([effective]),
    )  # fmt: skip


def test_the_cost_waterfall_steps_add_up_from_current_to_scenario() -> None:
    current = _cost(list_usd=300.0, effective=300.0, waste=0.0, spot=0.0, schedule=0.0)
    # half committed at 37 % off, a tenth on spot, weekdays 07-20
    scenario = _cost(list_usd=150.0, effective=110.0, waste=20.0, spot=9.0, schedule=140.0)

    steps = cost_steps(current, scenario)

    assert [s.label for s in steps] == [
        "Current", "Compute", "Commitment", "Spot", "Schedule", "Scenario",
    ]  # fmt: skip
    assert steps[0].usd + sum(s.usd for s in steps[1:-1]) == pytest.approx(steps[-1].usd)
    assert steps[3].usd == -9.0
    assert steps[4].usd == -140.0
    assert steps[2].usd == -(150.0 - 9.0 - 110.0)


@pytest.mark.usefixtures("seeded_database")
def test_a_team_scenario_is_saved_and_listed() -> None:
    at = _open()
    at.segmented_control(key="sim_mode").set_value("A team").run()
    at.selectbox(key="sim_team").set_value("payments").run()
    at.slider(key="sim_fleet_growth_pct").set_value(100).run()

    at.text_input(key="sim_team_save_name").input("payments doubles").run()
    at.button(key="sim_team_save").click().run()

    assert not at.exception, [e.message for e in at.exception]
    table = _table(at, "unfixable")
    assert table["name"].tolist() == ["payments doubles"]
    assert table["growth_pct"].tolist() == [100.0]
    assert "Saved team scenario “payments doubles”." in [shown(s.value) for s in at.success]


@pytest.mark.usefixtures("seeded_database")
def test_the_modelled_cost_is_named_and_set_beside_the_billed_one() -> None:
    """Checkout (the first service) is billed $304 /mo; the model prices its config at $210."""
    at = _open()

    captions = " ".join(str(c.value) for c in at.caption)

    assert "Modelled cost now $210 /mo (compute of the current configuration) vs billed $304" in (
        captions
    )
