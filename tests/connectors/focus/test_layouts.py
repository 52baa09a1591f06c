"""Which files form one delivery: manifests in their documented shapes, part names, uploads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data.connectors.focus import MalformedFile, PartFile, directory_files, plan_files, plan_upload
from data.connectors.focus.manifests import read_manifest
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.connectors.focus.exports import aws_files, azure_files, split, write

ROWS = [focus_row() for _ in range(6)]


def planned(
    tmp_path: Path, files: dict[str, bytes]
) -> list[tuple[str, str, list[str], tuple[str, ...]]]:
    write(tmp_path, files)
    return [
        (d.layout, d.name, [p.base_name for p in d.parts], d.missing)
        for d in plan_files(directory_files(tmp_path))
    ]


def test_an_aws_manifest_finds_its_parts_in_the_mirrored_data_folder(tmp_path: Path) -> None:
    assert planned(tmp_path, aws_files(split(ROWS, 3))) == [
        ("aws", "cur2/metadata/BILLING_PERIOD=2026-10/cur2-Manifest.json (3 parts)",
         ["cur2-00001.csv.gz", "cur2-00002.csv.gz", "cur2-00003.csv.gz"], ()),
    ]  # fmt: skip


def test_an_aws_export_without_its_manifest_is_one_delivery_per_folder(tmp_path: Path) -> None:
    files = aws_files(split(ROWS, 2), manifest=False) | aws_files(
        split(ROWS, 2), period="2026-09", manifest=False
    )

    found = planned(tmp_path, files)

    assert [(layout, parts) for layout, _, parts, _ in found] == [
        ("aws", ["cur2-00001.csv.gz", "cur2-00002.csv.gz"]),
        ("aws", ["cur2-00001.csv.gz", "cur2-00002.csv.gz"]),
    ]
    assert "BILLING_PERIOD=2026-09" in found[0][1]


def test_an_azure_run_is_held_on_a_part_its_manifest_names_but_is_absent(tmp_path: Path) -> None:
    files = azure_files(split(ROWS, 3))
    files = {name: data for name, data in files.items() if not name.endswith("part_1_0001.csv")}

    ((layout, _, parts, missing),) = planned(tmp_path, files)

    assert (layout, parts, missing) == (
        "azure",
        ["part_0_0001.csv", "part_2_0001.csv"],
        ("part_1_0001.csv",),
    )


def test_the_azure_manifest_states_when_the_export_was_made(tmp_path: Path) -> None:
    write(tmp_path, azure_files(split(ROWS, 2), submitted="2025-03-21T21:04:06.5234447Z"))

    (delivery,) = plan_files(directory_files(tmp_path))

    assert delivery.exported_at == datetime(2025, 3, 21, 21, 4, 6, 523444, tzinfo=UTC)


def test_a_gap_in_numbered_parts_names_the_missing_ones(tmp_path: Path) -> None:
    files = {"x/usage-00001.csv": csv_bytes(ROWS), "x/usage-00004.csv": csv_bytes(ROWS),
             "y/part_2_0001.csv": csv_bytes(ROWS)}  # fmt: skip

    found = {name: missing for _, name, _, missing in planned(tmp_path, files)}

    assert found == {
        "x/usage-00001.csv … usage-00004.csv (2 parts)": ("usage-00002.csv", "usage-00003.csv"),
        "y/part_2_0001.csv (1 part)": ("part_0_0001.csv", "part_1_0001.csv"),
    }


def test_other_names_are_one_delivery_each_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    files = {"2026-10-a.csv": b"a", "invoice-12345.csv": b"b", ".partial/cur2-00001.csv": b"c",
             "notes.json": b'{"not": "a manifest"}'}  # fmt: skip

    assert [(layout, name) for layout, name, _, _ in planned(tmp_path, files)] == [
        ("file", "2026-10-a.csv"), ("file", "invoice-12345.csv"), ("file", "notes.json")
    ]  # fmt: skip


def test_parts_beside_a_manifest_that_it_does_not_name_are_skipped_with_a_note(
    tmp_path: Path,
) -> None:
    files = aws_files(split(ROWS, 2))
    files["cur2/data/BILLING_PERIOD=2026-10/cur2-00003.csv.gz"] = b"left from a longer run"
    write(tmp_path, files)

    (delivery,) = plan_files(directory_files(tmp_path))

    assert len(delivery.parts) == 2
    assert "skipped: cur2/data/BILLING_PERIOD=2026-10/cur2-00003.csv.gz" in delivery.notes[0]


def test_an_upload_is_one_delivery_checked_against_its_manifest() -> None:
    files = azure_files(split(ROWS, 3))
    uploads = [PartFile(Path(name).name, data) for name, data in files.items()]

    whole = plan_upload(uploads)
    short = plan_upload([part for part in uploads if part.name != "part_2_0001.csv"])
    extra = plan_upload([*uploads, PartFile("other.csv", csv_bytes(ROWS))])

    assert (len(whole.parts), whole.missing, whole.refusal) == (3, (), None)
    assert short.missing == ("part_2_0001.csv",)
    assert extra.refusal == "not named by manifest.json: other.csv"


def test_uploaded_files_without_a_manifest_are_one_delivery_with_any_names() -> None:
    delivery = plan_upload([PartFile("a.csv", b"1"), PartFile("b.csv", b"2")])

    assert (delivery.name, len(delivery.parts), delivery.missing) == (
        "2 files: a.csv, b.csv",
        2,
        (),
    )


def test_a_manifest_that_breaks_its_shape_is_refused_naming_the_field() -> None:
    broken = json.dumps({"dataFiles": "s3://b/x-00001.csv"}).encode()

    with pytest.raises(MalformedFile, match="dataFiles"):
        read_manifest(broken, file_name="x-Manifest.json")
    assert plan_upload([PartFile("x-Manifest.json", broken)]).refusal is not None


def test_aws_data_files_may_be_objects_with_an_s3_uri() -> None:
    document = {"executionId": "e-1", "dataFiles": [{"s3Uri": "s3://b/p/cur2-00001.parquet"}]}

    manifest = read_manifest(json.dumps(document).encode(), file_name="cur2-Manifest.json")

    assert manifest is not None
    assert [(part.name, part.path) for part in manifest.parts] == [
        ("cur2-00001.parquet", "s3://b/p/cur2-00001.parquet")
    ]
