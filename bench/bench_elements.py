"""Benchmark: what each kind of Streamlit element costs Chromium on the real pages (issue 19).

One dashboard server per page, started with bench/ablation/ on PYTHONPATH (its sitecustomize
drops the element kinds a visit names in `?bench_drop=`; the product's code is untouched). After
one visit to warm the server's caches, each round visits the page once per variant, in a shuffled
order, each in a fresh browser context, and reads Chromium's CPU seconds and the wall time from
navigation to drawn (bench_pages' criterion). Prints, per page and variant, the medians and what
dropping the kind saved against the whole page in the same rounds.

    .venv/bin/python bench/bench_elements.py [--database sqlite:////tmp/pages.db]
        [--rounds 5] [--pages "Overview,Service detail"] [--variants "plotly,metric,..."]

Variants are kinds (bench/ablation/sitecustomize.py KINDS, plus `sparkline`, `sidebar`, `nav`),
joined by `+` to drop several at once; `none` is the whole page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_pages import NOW, _load, _seeded, _settle_seconds
from tests.support.browser import chromium
from tests.support.streamlit_server import streamlit_server

ABLATION = Path(__file__).resolve().parent / "ablation"
VARIANTS = (
    "none", "plotly", "dataframe", "metric", "sparkline", "text", "alerts", "widgets",
    "sidebar", "nav", "containers", "columns", "expanders",
    "plotly+dataframe+metric+text+alerts+widgets+nav",
)  # fmt: skip


def main() -> None:
    args = _arguments()
    os.environ["TIGHTROPE_BENCH_ELEMENTS"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ABLATION), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    variants = args.variants.split(",") if args.variants else list(VARIANTS)
    with tempfile.TemporaryDirectory(prefix="tightrope-elements-") as scratch:
        url = args.database or f"sqlite:///{scratch}/pages.db"  # seeded when empty
        service_id = _seeded(url, 1000, 90)
        paths = {
            "Overview": "?",
            "Recommendations": "recommendations?",
            "Services": "services?",
            "Service detail": f"service?service={service_id}&",
        }
        for name in args.pages.split(","):
            print(f"{name}: load average before {_load()}", flush=True)
            cpu, wall = _page(paths[name], url, Path(scratch), variants, args.rounds)
            print(f"{name}: load average after {_load()}")
            _report(name, variants, cpu, wall)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", default="Overview,Service detail,Recommendations,Services")
    parser.add_argument("--variants", default=None, help="comma-separated; default: all")
    return parser.parse_args()


def _page(
    path: str, url: str, scratch: Path, variants: list[str], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    wall: dict[str, list[float]] = {v: [] for v in variants}
    log_path = scratch / "server.log"
    with chromium() as browser, streamlit_server(url, now=NOW, log_path=log_path) as base:
        _settle_seconds(browser, f"{base}/{path}")  # the server's caches, not measured
        for _ in range(rounds):
            order = random.sample(variants, len(variants))
            for variant in order:
                drop = "" if variant == "none" else variant.replace("+", ",")
                seconds, cpu_s = _settle_seconds(browser, f"{base}/{path}bench_drop={drop}")
                cpu[variant].append(cpu_s)
                wall[variant].append(seconds)
    return cpu, wall


def _report(
    name: str, variants: list[str], cpu: dict[str, list[float]], wall: dict[str, list[float]]
) -> None:
    whole = statistics.median(cpu["none"]) if "none" in cpu else float("nan")
    print(f"\n{name}: Chromium CPU and wall to drawn, medians of {len(cpu[variants[0]])} rounds")
    print(f"{'dropped':<50} {'CPU s':>7} {'saved':>7} {'wall s':>7}  CPU per round")
    for variant in variants:
        median_cpu = statistics.median(cpu[variant])
        rounds = " ".join(f"{v:.2f}" for v in cpu[variant])
        print(
            f"{variant:<50} {median_cpu:7.2f} {whole - median_cpu:7.2f} "
            f"{statistics.median(wall[variant]):7.2f}  {rounds}"
        )


if __name__ == "__main__":
    main()
