"""The pricing catalog Tightrope ships: price files and the loader that reads them."""

from data.catalog.loader import load_catalog
from data.settings import Settings
from engine.catalog import Catalog, CommitmentDiscounts


def load_catalog_for(settings: Settings) -> Catalog:
    """The shipped catalog with the GCP series and discount assumptions the settings choose."""
    discounts = CommitmentDiscounts(
        one_year_pct=settings.commitment_one_year_discount_pct,
        three_year_pct=settings.commitment_three_year_discount_pct,
        spot_pct=settings.spot_discount_pct,
    )
    return load_catalog(k8s_series=settings.k8s_price_series, discounts=discounts)


__all__ = ["load_catalog", "load_catalog_for"]
