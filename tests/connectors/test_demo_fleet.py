"""The demo fleet is deterministic, realistic in mix and shape, and priced like the catalog says."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from data.catalog import load_catalog
from data.connectors.demo.costs import CATEGORIES, service_daily_costs, unallocated_costs
from data.connectors.demo.fleet import DemoService, build_fleet
from data.connectors.demo.shapes import hour_starts, textures, usage_window
from engine.catalog import Catalog
from engine.cost import effective_ratio, instance_hourly_usd
from engine.usage import UsageWindow

SEED = 42
N_SERVICES = 150
DAYS = 90
END = datetime(2026, 11, 1, tzinfo=UTC)  # a Sunday midnight: every day in the window is whole

Fleet = tuple[tuple[DemoService, UsageWindow], ...]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def fleet(catalog: Catalog) -> Fleet:
    services = build_fleet(catalog, seed=SEED, n_services=N_SERVICES)
    return tuple(
        (service, usage_window(service, service_id=i, end=END, days=DAYS))
        for i, service in enumerate(services)
    )


def of(fleet: Fleet, archetype: str) -> Fleet:
    chosen = tuple(pair for pair in fleet if pair[0].archetype == archetype)
    assert chosen, f"the fleet has no {archetype} service"
    return chosen


def cpu_p95_utilization(service: DemoService, usage: UsageWindow) -> np.ndarray:
    return usage.cpu_used_p95_cores / service.config.cpu_capacity_cores


def test_same_seed_builds_the_same_fleet_and_usage(catalog: Catalog, fleet: Fleet) -> None:
    again = build_fleet(catalog, seed=SEED, n_services=N_SERVICES)

    assert again == tuple(service for service, _ in fleet)
    for service, usage in fleet[:10]:
        regenerated = usage_window(service, service_id=usage.service_id, end=END, days=DAYS)
        np.testing.assert_array_equal(regenerated.cpu_used_p95_cores, usage.cpu_used_p95_cores)
        np.testing.assert_array_equal(regenerated.latency_p95_ms, usage.latency_p95_ms)


def test_another_seed_builds_another_fleet(catalog: Catalog, fleet: Fleet) -> None:
    other = build_fleet(catalog, seed=SEED + 1, n_services=N_SERVICES)

    assert [s.draft.slug for s in other] != [s.draft.slug for s, _ in fleet]
    first = usage_window(other[0], service_id=0, end=END, days=DAYS)
    assert not np.array_equal(first.requests_per_s, fleet[0][1].requests_per_s)


def test_a_smaller_fleet_is_a_prefix_of_a_larger_one(catalog: Catalog, fleet: Fleet) -> None:
    small = build_fleet(catalog, seed=SEED, n_services=20)

    assert small == tuple(service for service, _ in fleet[:20])


def test_fleet_mix_spans_teams_environments_platforms_and_archetypes(fleet: Fleet) -> None:
    services = [service for service, _ in fleet]
    environments = Counter(s.draft.environment for s in services)
    platforms = Counter(s.draft.platform for s in services)
    archetypes = Counter(s.archetype for s in services)

    assert len(services) >= 150
    assert len({s.draft.slug for s in services}) == len(services)
    assert len({s.draft.team for s in services}) >= 6
    assert 0.45 <= environments["prod"] / len(services) <= 0.65
    assert set(environments) == {"prod", "staging", "dev"}
    assert 0.4 <= platforms["vm"] / len(services) <= 0.6
    assert set(archetypes) == {
        "well-sized", "over-provisioned", "under-provisioned", "idle", "bursty", "batch"
    }  # fmt: skip
    assert archetypes["well-sized"] + archetypes["over-provisioned"] >= 0.6 * len(services)


def test_every_vm_type_and_region_is_priced_in_the_catalog(catalog: Catalog, fleet: Fleet) -> None:
    vms = [service for service, _ in fleet if service.draft.platform == "vm"]

    for service in vms:
        (price,) = instance_hourly_usd(
            np.array([service.config.instance_type]), service.draft.region, catalog
        )
        spec = catalog.spec(service.config.instance_type or "")
        assert price > 0
        assert service.draft.provider == "aws"
        assert (spec.vcpu, spec.memory_gib) == (
            service.config.vcpu_per_replica,
            service.config.memory_gib_per_replica,
        )


def test_every_kubernetes_service_runs_in_a_gcp_region_with_pod_prices(
    catalog: Catalog, fleet: Fleet
) -> None:
    pods = [service for service, _ in fleet if service.draft.platform == "kubernetes"]

    for service in pods:
        cpu_usd, memory_usd = catalog.k8s_usd_per_hour(service.draft.region)
        assert service.draft.provider == "gcp"
        assert cpu_usd > 0
        assert memory_usd > 0
        assert 0.25 <= (service.config.cpu_request_cores or 0) <= 4
        assert 0.5 <= (service.config.memory_request_gib or 0) <= 16


def test_prod_services_mostly_run_two_replicas_over_two_zones(fleet: Fleet) -> None:
    prod = [service.config for service, _ in fleet if service.draft.environment == "prod"]

    redundant = [c for c in prod if c.replicas >= 2 and c.zones >= 2]

    assert len(redundant) >= 0.8 * len(prod)


def test_sla_targets_follow_the_policy_class(fleet: Fleet) -> None:
    for service, _ in fleet:
        draft = service.draft
        target_ms, availability_pct = (
            draft.sla.latency_p95_target_ms,
            draft.sla.availability_target_pct,
        )
        expected = {
            "latency-critical": (100 <= target_ms <= 200, 99.95),
            "standard": (250 <= target_ms <= 500, 99.9),
            "batch": (target_ms == 2000, 99.0),
            "dev": (target_ms == 1000, 99.0),
        }[draft.policy_class]
        if draft.environment != "prod":  # staging promises no production availability
            expected = (expected[0], min(expected[1], 99.0))
        assert expected == (True, availability_pct)
        assert (draft.policy_class == "dev") == (draft.environment == "dev")


def test_weekday_daytime_load_exceeds_the_night(fleet: Fleet) -> None:
    for service, usage in fleet:
        if service.archetype in ("batch", "idle") or service.config.schedule != "always":
            continue
        hours = usage.hour_start.astype("datetime64[h]").astype(np.int64)
        weekday = (hours // 24 + 3) % 7 < 5
        from_peak = (hours % 24 - service.load.peak_hour_utc) % 24
        day = weekday & ((from_peak <= 2) | (from_peak >= 22))
        night = weekday & (np.abs(from_peak - 12) <= 2)

        assert usage.requests_per_s[day].mean() > 1.2 * usage.requests_per_s[night].mean()


def test_weekends_are_quieter_than_weekdays(fleet: Fleet) -> None:
    for service, usage in fleet:
        if service.archetype == "idle":
            continue
        hours = usage.hour_start.astype("datetime64[h]").astype(np.int64)
        weekend = (hours // 24 + 3) % 7 >= 5

        assert usage.requests_per_s[weekend].mean() < usage.requests_per_s[~weekend].mean()


def test_cpu_p95_is_never_below_the_mean(fleet: Fleet) -> None:
    for _, usage in fleet:
        assert np.all(usage.cpu_used_p95_cores >= usage.cpu_used_mean_cores)
        assert np.all(usage.cpu_used_mean_cores >= 0)


def test_idle_services_stay_below_3_pct_cpu_with_almost_no_requests(fleet: Fleet) -> None:
    for service, usage in of(fleet, "idle"):
        assert cpu_p95_utilization(service, usage).max() < 0.03
        assert usage.requests_per_s.max() < 0.1


def test_over_provisioned_services_use_well_under_half_their_cpu(fleet: Fleet) -> None:
    for service, usage in of(fleet, "over-provisioned"):
        assert np.quantile(cpu_p95_utilization(service, usage), 0.95) < 0.4


def test_under_provisioned_services_saturate_and_breach_latency(fleet: Fleet) -> None:
    for service, usage in of(fleet, "under-provisioned"):
        breaches = usage.latency_p95_ms > service.draft.sla.latency_p95_target_ms

        assert cpu_p95_utilization(service, usage).max() > 0.85
        assert breaches.sum() >= 5


def test_well_sized_services_meet_latency_most_hours(fleet: Fleet) -> None:
    for service, usage in of(fleet, "well-sized"):
        breaches = usage.latency_p95_ms > service.draft.sla.latency_p95_target_ms

        assert np.nanmean(breaches) < 0.05


def test_memory_stays_within_capacity(fleet: Fleet) -> None:
    for service, usage in fleet:
        assert np.all(usage.memory_used_max_gib <= service.config.memory_capacity_gib)


def test_on_hours_services_are_empty_off_hours(fleet: Fleet) -> None:
    scheduled = [pair for pair in fleet if pair[0].config.schedule != "always"]
    assert scheduled

    for _, usage in scheduled:
        hours = usage.hour_start.astype("datetime64[h]").astype(np.int64)
        weekend = (hours // 24 + 3) % 7 >= 5
        assert np.all(usage.cpu_used_mean_cores[weekend] == 0)
        assert np.all(np.isnan(usage.latency_p95_ms[weekend]))


def test_every_shipped_series_becomes_a_14_day_texture() -> None:
    loaded = textures()

    assert len(loaded) == 7
    for texture in loaded.values():
        assert texture.residual_z.shape == texture.burst.shape == (14 * 24,)
        assert np.all(np.isfinite(texture.residual_z))
        assert np.all(texture.burst >= 0)


def test_hour_starts_end_before_end_on_whole_hours() -> None:
    hours = hour_starts(END, 2)

    assert len(hours) == 48
    assert hours[-1] == np.datetime64("2026-10-31T23:00:00")
    assert hours[0] == np.datetime64("2026-10-30T00:00:00")


@pytest.mark.parametrize(
    "end", [datetime(2026, 11, 1), datetime(2026, 11, 1, 0, 30, tzinfo=UTC)], ids=str
)
def test_an_end_that_is_naive_or_not_a_whole_hour_is_rejected(end: datetime) -> None:
    with pytest.raises(ValueError, match="whole hour"):
        hour_starts(end, 1)


def test_vm_compute_list_cost_is_price_times_replicas_times_24(
    catalog: Catalog, fleet: Fleet
) -> None:
    always_vms = [
        p for p in fleet if p[0].draft.platform == "vm" and p[0].config.schedule == "always"
    ]
    service, usage = always_vms[0]
    (price,) = instance_hourly_usd(
        np.array([service.config.instance_type]), service.draft.region, catalog
    )

    compute = [
        c
        for c in service_daily_costs(service, usage, catalog=catalog)
        if c.service_category == "Compute"
    ]

    assert len(compute) == DAYS
    expected_usd = price * service.config.replicas * 24
    ratio = effective_ratio(service.config, catalog.discounts)
    for cost in compute:
        assert cost.list_cost == pytest.approx(expected_usd, rel=1e-9)
        assert cost.effective_cost == pytest.approx(expected_usd * ratio, rel=1e-9)
        assert cost.billed_cost == cost.effective_cost
        assert (cost.provider, cost.billing_currency) == ("AWS", "USD")


def test_every_service_day_has_one_row_per_category(catalog: Catalog, fleet: Fleet) -> None:
    service, usage = fleet[0]

    costs = service_daily_costs(service, usage, catalog=catalog)

    assert len(costs) == DAYS * len(CATEGORIES)
    assert Counter(c.service_category for c in costs) == dict.fromkeys(CATEGORIES, DAYS)
    assert {c.service_id for c in costs} == {usage.service_id}
    assert all(c.effective_cost <= c.list_cost and c.list_cost >= 0 for c in costs)


def test_on_hours_services_bill_no_compute_at_weekends(catalog: Catalog, fleet: Fleet) -> None:
    service, usage = next(p for p in fleet if p[0].config.schedule != "always")

    costs = service_daily_costs(service, usage, catalog=catalog)

    compute = {c.charge_date: c.list_cost for c in costs if c.service_category == "Compute"}
    assert all(usd == 0 for day, usd in compute.items() if day.weekday() >= 5)
    assert all(usd > 0 for day, usd in compute.items() if day.weekday() < 5)


def test_unallocated_charges_have_no_service_and_follow_spend(
    catalog: Catalog, fleet: Fleet
) -> None:
    allocated = [
        cost
        for service, usage in fleet[:10]
        for cost in service_daily_costs(service, usage, catalog=catalog)
    ]

    unallocated = unallocated_costs(allocated)

    assert unallocated
    assert {c.service_id for c in unallocated} == {None}
    total = sum(c.effective_cost for c in allocated)
    assert sum(c.effective_cost for c in unallocated) == pytest.approx(0.045 * total)


def test_charge_dates_cover_the_window(catalog: Catalog, fleet: Fleet) -> None:
    service, usage = fleet[0]

    days = sorted({c.charge_date for c in service_daily_costs(service, usage, catalog=catalog)})

    assert days[0] == (END - timedelta(days=DAYS)).date()
    assert days[-1] == (END - timedelta(days=1)).date()
