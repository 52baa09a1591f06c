"""Simulator: what a change does to cost and to the SLA, over a service's (or a team's) history."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, pool
from dashboard.components import basis, filters, formats, kpis, page, recs, selection, states
from dashboard.components.charts import show
from dashboard.components.simulator import actions as simulator_actions
from dashboard.components.simulator import charts as simulator_charts
from dashboard.components.simulator import fleet as simulator_fleet
from dashboard.components.simulator import levers as simulator_levers
from dashboard.components.simulator import saved as simulator_saved
from dashboard.queries import fleet as queries
from dashboard.queries import simulator as simulator_queries
from data.errors import WorkerLost
from data.repos import simulations
from data.scenario_actions import SAVE
from data.scenario_runs import ServiceInputs
from engine.errors import EngineError
from engine.simulation import (
    FleetResult,
    Scenario,
    SimulationResult,
)

MODES = ("One service", "A team")

start = page.begin(
    "What a change would do: move a lever and see the monthly cost, the odds the SLA holds and "
    "the risk, replayed over the service's real hourly history with 500 Monte Carlo paths."
)
sessions, status = start.sessions, start.status
pool.shared()  # the workers start while the inputs load (the first visit after start)
usage_end = status.usage_end or start.now
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=start.today, first_day=None, with_dates=False)


def _pick_service() -> int | None:
    """Services with a config that match the sidebar filters; the first one if the chosen
    one no longer matches (its levers then restart from the new service's config)."""
    choices = simulator_queries.service_choices(sessions)
    ids = [sid for sid, described in choices.items() if _matches(described)]
    filters.active_hint(chosen, shown=len(ids), total=len(choices))
    if not ids:
        st.info("No service with a capacity configuration matches the filters.")
        return None
    wanted = st.session_state.get("sim_service", selection.selected_service())
    if st.session_state.get("sim_service") not in ids:
        simulator_levers.reset()
        st.session_state["sim_service"] = wanted if wanted in ids else ids[0]
    picked: int = st.selectbox(
        "Service", ids, key="sim_service", on_change=_service_changed,
        format_func=lambda sid: " · ".join(choices[sid][:3]),
    )  # fmt: skip
    return int(picked)


def _matches(described: tuple[str, str, str, str]) -> bool:
    _, team, environment, platform = described
    wanted = chosen.filters
    return (
        (not wanted.teams or team in wanted.teams)
        and (not wanted.environments or environment in wanted.environments)
        and (not wanted.platforms or platform in wanted.platforms)
    )


def _service_changed() -> None:
    simulator_levers.reset()
    st.session_state.pop("sim_promoted", None)
    st.session_state[selection.SELECTED_SERVICE] = st.session_state["sim_service"]


@st.fragment
def _what_if(service_id: int) -> None:
    """Levers and results: a lever move reruns only this fragment (inputs come from cache)."""
    inputs = simulator_queries.service_inputs(sessions, service_id, usage_end)
    if inputs is None or inputs.usage.points == 0:
        st.info(
            "This service has no hourly usage to replay yet: the simulator needs its "
            "telemetry (run `make seed` for the demo fleet, or connect Prometheus).",
            icon=":material/hourglass_empty:",
        )
        return
    kpi_area = st.container()  # filled once the levers below have set the scenario
    levers_column, result_column = st.columns([1, 2.6], gap="medium")
    with levers_column:
        levers = simulator_levers.draw(
            inputs.current,
            region=inputs.service.region,
            catalog=simulator_queries.catalog(),
            history_days=inputs.longest_horizon_days,
        )
        if levers.note:
            st.caption(levers.note)
    with result_column:
        result = _simulate(inputs, levers.scenario)
        if result is None:
            return
        with kpi_area:
            kpis.kpi_row(_kpi_cards(result))
            billed = queries.billed_run_rate(sessions, service_id, start.today)
            basis.billed_vs_modelled(billed, result.delta.current_monthly_effective_usd, "USD")
        _charts(service_id, inputs, levers.scenario, result)
        _save_form(service_id, inputs, levers.scenario, result)


def _simulate(inputs: ServiceInputs, scenario: Scenario) -> SimulationResult | None:
    """The run (from the shared pool, cached by its inputs); None once a refusal is shown."""
    try:
        return simulator_queries.scenario_result(inputs, scenario)
    except (EngineError, ValueError) as error:
        st.warning(f"This scenario cannot be simulated: {error}", icon=":material/warning:")
    except WorkerLost as error:
        st.error(f"The simulation did not finish: {error}", icon=":material/error:")
    return None


def _charts(
    service_id: int, inputs: ServiceInputs, scenario: Scenario, result: SimulationResult
) -> None:
    change = f"{result.config.describe()} at {scenario.growth_pct:+.0f} % demand"
    latency, utilization = st.columns(2)
    with latency:
        if result.hourly.latency_modelled:
            fig = simulator_charts.latency_band(result, change=change)
            show(fig, key="sim_latency")
        else:
            st.info(f"No latency projection: {result.hourly.latency_note}.")
    with utilization:
        fig = simulator_charts.utilization_band(result, title=f"CPU utilization: {change}")
        show(fig, key="sim_utilization")
    today = simulator_queries.current_cost(sessions, service_id, usage_end, scenario.horizon_days)
    if today is not None:
        steps = simulator_charts.cost_steps(today, result.cost)
        show(simulator_charts.cost_waterfall(steps), key="sim_waterfall")
    st.caption(
        f"Current config: {inputs.current.describe()} · scenario: {result.config.describe()} · "
        f"{result.paths:,} paths over {scenario.horizon_days} days of history"
    )


def _kpi_cards(result: SimulationResult) -> list[kpis.Kpi]:
    cost, sla, delta = result.cost, result.sla, result.delta
    now_usd = delta.current_monthly_effective_usd
    change_pct = 100.0 * delta.monthly_effective_usd_delta / now_usd if now_usd else 0.0
    change_pct = change_pct if round(change_pct, 1) != 0 else 0.0
    hours_delta = sla.breach_hours_p50 - delta.current_breach_hours
    scenario_usd = formats.money(cost.effective_usd.p50, "USD")
    spread = f"{formats.money(cost.effective_usd.p5, 'USD')}–"
    spread += formats.money(cost.effective_usd.p95, "USD")
    return [
        kpis.Kpi(
            "Monthly cost Δ",
            f"{_signed_money(delta.monthly_effective_usd_delta)} /mo",
            delta=(
                f"{change_pct:+.1f} % → {scenario_usd} /mo" if change_pct else f"{scenario_usd} /mo"
            ),
            delta_color="inverse" if change_pct else "off",
            delta_arrow="auto" if change_pct else "off",
            help=f"Effective cost of the median path minus today's; 5–95 %: {spread} /mo.",
        ),
        kpis.Kpi(
            "P(SLA holds)",
            f"{sla.hold_probability * 100:.1f} %",
            delta="holds on the replay" if sla.holds_replay else "breaks on the replay",
            delta_color="normal" if sla.holds_replay else "inverse",
            delta_arrow="up" if sla.holds_replay else "down",
            help="Share of the Monte Carlo paths on which every SLA rule holds.",
        ),
        kpis.Kpi(
            "Breach hours",
            f"{sla.breach_hours_p50:,.0f} h",
            delta=f"{hours_delta:+,.0f} h vs current ({delta.current_breach_hours:,} h)",
            delta_color="inverse" if round(hours_delta) else "off",
            delta_arrow="auto" if round(hours_delta) else "off",
            help="Hours with projected p95 above the SLA target (median path), over the replay; "
            "a saturated hour (CPU demand ≥ capacity, ρ ≥ 1) has no steady state and counts.",
        ),
        kpis.Kpi(
            "Risk",
            recs.risk_badge(sla.risk_score),
            delta=_n_plus_one(result),
            delta_color="off",
            delta_arrow="off",
            help="Risk 0–4, the highest sub-score: "
            + ", ".join(
                f"{recs.SUB_SCORE_LABELS.get(k, k)} {v}" for k, v in sla.risk_sub_scores.items()
            ),
        ),
    ]


def _n_plus_one(result: SimulationResult) -> str:
    if not result.sla.n_plus_one_required:
        return "N+1 not required"
    return "N+1 holds" if result.sla.n_plus_one_ok else "N+1 fails"


def _signed_money(usd: float) -> str:
    """`+$310` / `-$1,075`; a change that rounds to nothing reads `$0` (no sign, no arrow)."""
    whole = round(usd)
    text = formats.money(abs(whole), "USD")
    return text if whole == 0 else f"{'+' if whole > 0 else '-'}{text}"


def _save_form(
    service_id: int, inputs: ServiceInputs, scenario: Scenario, result: SimulationResult
) -> None:
    default = f"{scenario.growth_pct:+.0f} % demand · {result.config.describe()}"
    name = _name_to_save(
        "scenario",
        default,
        name_key="sim_save_name",
        button_key="sim_save",
        clear_key="sim_clear_name",
    )
    if name is None:
        return
    saved = simulator_actions.save(
        sessions,
        name=name,
        scenario=scenario,
        summary=simulations.summarize(result, inputs.current, scenario),
        service_id=service_id,
        team=inputs.service.team,
    )
    if not saved:
        return
    st.session_state[simulator_saved.COMPARE_NEWEST] = True
    st.session_state.pop("sim_promoted", None)
    _after_save("scenario", name, clear_key="sim_clear_name")


def _name_to_save(
    what: str, default: str, *, name_key: str, button_key: str, clear_key: str
) -> str | None:
    """A name field and its Save button: the name (else the default) once clicked, else None."""
    if st.session_state.pop(clear_key, False):  # the name of the last save
        st.session_state[name_key] = ""
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input(
        f"{what.capitalize()} name", placeholder=default, key=name_key, max_chars=200
    )
    refusal = actions.refusal(SAVE, "saving a scenario")
    if not button_column.button(
        f"Save {what}", key=button_key, icon=":material/bookmark_add:", width="stretch",
        disabled=refusal is not None, help=refusal,
    ):  # fmt: skip
        return None
    return name.strip() or default


def _after_save(what: str, name: str, *, clear_key: str) -> None:
    st.session_state["sim_saved_note"] = f"Saved {what} “{name}”."
    st.session_state[clear_key] = True
    st.rerun()  # the whole page: the saved-scenarios table below shows it


def _promote(simulation_id: int) -> None:
    promoted = simulator_actions.promote(sessions, simulation_id)
    if promoted is not None:
        st.session_state["sim_promoted"] = promoted


def _delete(simulation_id: int) -> None:
    if simulator_actions.delete(sessions, simulation_id):
        st.session_state["sim_saved_note"] = "Scenario deleted."
        st.rerun()  # the whole page: the table and the comparison lose it


def _saved_section(service_id: int) -> None:
    st.subheader("Saved scenarios", anchor=False)
    note = st.session_state.pop("sim_saved_note", None)
    if note:
        st.success(formats.escape_markdown(note), icon=":material/bookmark_added:")
    saved = simulator_queries.saved_scenarios(sessions, service_id)
    service, _ = queries.service_profile(sessions, service_id)
    simulator_saved.show(saved, slug=service.slug, promote=_promote, delete=_delete)
    promoted = st.session_state.get("sim_promoted")
    if promoted is not None:
        st.success(
            f"Recommendation #{promoted} is open: it now waits for approval on the "
            "Recommendations page, like any other.",
            icon=":material/lightbulb:",
        )
        st.page_link(
            "app_pages/recommendations.py",
            label=f"Open recommendation #{promoted}",
            icon=":material/arrow_forward:",
            query_params={selection.RECOMMENDATION_PARAM: str(promoted)},
        )


@st.fragment
def _fleet(team: str) -> None:
    """A team under a demand growth: which services break and what keeps them whole."""
    members = simulator_queries.team_members(sessions, team, usage_end)
    if not members:
        st.info(
            f"No service of team {formats.escape_markdown(team)} has a config and usage to replay."
        )
        return
    growth = st.columns(2)[0].slider(
        "Demand growth for the team (%)", -50, 200, 30, step=5, key="sim_fleet_growth_pct",
        help="Requests/s and CPU of every service of the team, on its last 90 days.",
    )  # fmt: skip
    try:
        result = simulator_queries.fleet_result(sessions, team, usage_end, float(growth))
    except (EngineError, ValueError) as error:
        st.warning(f"This scenario cannot be simulated: {error}", icon=":material/warning:")
        return
    except WorkerLost as error:
        st.error(f"The simulation did not finish: {error}", icon=":material/error:")
        return
    simulator_fleet.show(result, team=team)
    _save_team_form(team, result)


def _save_team_form(team: str, result: FleetResult) -> None:
    default = f"{team} at {result.growth_pct:+.0f} % demand"
    name = _name_to_save(
        "team scenario",
        default,
        name_key="sim_team_save_name",
        button_key="sim_team_save",
        clear_key="sim_clear_team_name",
    )
    if name is None:
        return
    saved = simulator_actions.save(
        sessions,
        name=name,
        scenario=Scenario(growth_pct=result.growth_pct),
        summary=simulations.summarize_team(result),
        service_id=None,
        team=team,
    )
    if saved:
        _after_save("team scenario", name, clear_key="sim_clear_team_name")


def _saved_team_section(team: str) -> None:
    st.subheader("Saved team scenarios", anchor=False)
    note = st.session_state.pop("sim_saved_note", None)
    if note:
        st.success(formats.escape_markdown(note), icon=":material/bookmark_added:")
    simulator_fleet.show_saved(simulator_queries.saved_team_scenarios(sessions, team), team=team)


st.segmented_control("Simulate", MODES, default=MODES[0], key="sim_mode", selection_mode="single")
if st.session_state.get("sim_mode") == MODES[1]:
    teams = list(chosen.filters.teams or options.teams)
    picked_team = st.selectbox("Team", teams, key="sim_team")
    if picked_team is not None:
        _fleet(str(picked_team))
        st.divider()
        _saved_team_section(str(picked_team))
else:
    service_id = _pick_service()
    if service_id is not None:
        _what_if(service_id)
        st.divider()
        _saved_section(service_id)
st.divider()
states.freshness_line(status, now=start.now)
