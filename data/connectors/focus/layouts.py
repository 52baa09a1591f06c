"""Which files form one delivery: export manifests, numbered part names, or one file each.

Rules (decision 011), for a directory pass or `python -m data ingest PATH…`:
- a manifest (AWS `…-Manifest.json` with `dataFiles`, Azure `manifest.json` with `blobs`)
  makes one delivery of the files it names, looked up by file name in its own folder and, for
  AWS, in the `data/…` folder mirroring its `metadata/…` folder (and that folder's
  `<executionId>` subfolder); a named file not found holds the delivery;
- files named like parts and named by no manifest form one delivery per folder and family:
  AWS `<export>-00001.csv.gz` (numbers from 00001), Azure `part_0_0001.csv` (from part_0); a
  gap in the numbers holds it (a missing *last* part cannot be seen without a manifest);
- any other file is a delivery of its own.
An upload is always one delivery (`plan_upload`), with the same manifest and numbering checks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from data.connectors.focus.manifests import Manifest, is_manifest_name, read_manifest
from data.errors import FocusIngestError

_AWS_PART = re.compile(r"^(?P<stem>.+)-(?P<number>0\d{4})(?P<ext>\.[^/]+)$")
_AZURE_PART = re.compile(r"^part_(?P<number>\d{1,6})_(?P<run>\d+)(?P<ext>\.[^/]+)$")


@dataclass(frozen=True, slots=True)
class PartFile:
    """A file offered for ingest: its name (a path relative to the scanned root, or the upload's
    name), where its bytes are, and the folder it sits in (for grouping)."""

    name: str
    content: Path | bytes
    folder: str = ""
    expected_rows: int | None = None  # what its manifest says it holds (Azure's dataRowCount)

    @property
    def base_name(self) -> str:
        return PurePosixPath(self.name).name

    def read(self) -> bytes:
        return self.content if isinstance(self.content, bytes) else self.content.read_bytes()

    @property
    def size_bytes(self) -> int:
        return len(self.content) if isinstance(self.content, bytes) else self.content.stat().st_size


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """The files that together restate their scopes; `missing` holds it, `refusal` refuses it."""

    name: str
    layout: str  # "file", "aws", "azure" or "upload"
    parts: tuple[PartFile, ...]
    missing: tuple[str, ...] = ()
    refusal: str | None = None
    exported_at: datetime | None = None
    manifest: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def held(self) -> bool:
        return bool(self.missing) and self.refusal is None


def directory_files(root: Path) -> list[PartFile]:
    """Every regular, non-hidden file under `root` (hidden folders skipped), sorted by path."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found.append(PartFile(relative.as_posix(), path, relative.parent.as_posix()))
    return found


def plan_files(files: Sequence[PartFile]) -> tuple[PlannedDelivery, ...]:
    """Group files into deliveries by the rules above, in name order (restatements land in
    order: of two deliveries that tie, the later one replaces the earlier)."""
    manifests, data, planned = _manifests(files)
    claimed: set[str] = set()
    for manifest, where in manifests:
        delivery, used = _by_manifest(manifest, where, data)
        stale = _stale_parts(delivery, data, claimed | used)
        planned.append(_noted(delivery, stale))
        claimed |= used | {part.name for part in stale}
    unclaimed = [part for part in data if part.name not in claimed]
    planned += _by_numbering(unclaimed)
    return tuple(sorted(planned, key=lambda delivery: delivery.name))


def _stale_parts(
    delivery: PlannedDelivery, data: Sequence[PartFile], claimed: set[str]
) -> list[PartFile]:
    """Part-named files beside a manifest's parts that it does not name: left over from an
    earlier export run (an overwriting export may write fewer parts), never loaded."""
    families = {(part.folder, _family(part.base_name)) for part in delivery.parts}
    return [
        part
        for part in data
        if part.name not in claimed and (part.folder, _family(part.base_name)) in families
    ]


def _noted(delivery: PlannedDelivery, stale: Sequence[PartFile]) -> PlannedDelivery:
    if not stale:
        return delivery
    skipped = f"not named by {delivery.manifest}, skipped: {', '.join(p.name for p in stale)}"
    return replace(delivery, notes=(*delivery.notes, skipped))


def plan_upload(files: Sequence[PartFile]) -> PlannedDelivery:
    """Every uploaded file in one delivery; a manifest among them must name exactly the rest."""
    manifests, data, broken = _manifests(files)
    if broken:
        return replace(broken[0], layout="upload")
    name = (
        data[0].name
        if len(data) == 1
        else f"{len(data)} files: " + ", ".join(part.name for part in data)
    )
    if len(manifests) > 1:
        return PlannedDelivery(name, "upload", tuple(data), refusal="upload one manifest at a time")
    if manifests:
        manifest = manifests[0][0]
        named = {part.name for part in manifest.parts}
        extra = [part.name for part in data if part.base_name not in named]
        refusal = f"not named by {manifest.file_name}: {', '.join(extra)}" if extra else None
        delivery, _ = _by_manifest(manifest, "", data)
        return PlannedDelivery(
            name, "upload", delivery.parts, delivery.missing, refusal, manifest.exported_at,
            manifest.file_name,
        )  # fmt: skip
    return PlannedDelivery(name, "upload", tuple(data), _gaps(data))


def _manifests(
    files: Sequence[PartFile],
) -> tuple[list[tuple[Manifest, str]], list[PartFile], list[PlannedDelivery]]:
    """Manifests (with their folder), data files, and manifests too broken to follow (refused);
    JSON that is no manifest is data."""
    manifests, data, broken = [], [], []
    for part in files:
        try:
            manifest = _manifest(part) if is_manifest_name(part.name) else None
        except FocusIngestError as error:
            broken.append(PlannedDelivery(part.name, "file", (), refusal=str(error)))
            continue
        if manifest is None:
            data.append(part)
        else:
            manifests.append((manifest, part.folder))
    return manifests, data, broken


def _manifest(part: PartFile) -> Manifest | None:
    try:
        return read_manifest(part.read(), file_name=part.name)
    except OSError as error:
        raise FocusIngestError(f"{part.name}: cannot be read ({error.strerror})") from None


def _by_manifest(
    manifest: Manifest, folder: str, data: Sequence[PartFile]
) -> tuple[PlannedDelivery, set[str]]:
    places = _manifest_places(manifest, folder)
    by_place = {(part.folder, part.base_name): part for part in data}
    found, missing = [], []
    for named in manifest.parts:
        part = next(
            (by_place[(p, named.name)] for p in places if (p, named.name) in by_place), None
        )
        if part is None:
            missing.append(named.name)
        else:
            found.append(replace(part, expected_rows=named.rows))
    name = f"{manifest.file_name} ({len(manifest.parts)} parts)"
    delivery = PlannedDelivery(
        name, manifest.layout, tuple(found), tuple(missing), None, manifest.exported_at,
        manifest.file_name,
    )  # fmt: skip
    return delivery, {part.name for part in found}


def _manifest_places(manifest: Manifest, folder: str) -> list[str]:
    """The manifest's folder; for AWS also the data folder that mirrors its metadata folder."""
    places = [folder]
    segments = folder.split("/")
    if manifest.layout == "aws" and "metadata" in segments:
        at = len(segments) - 1 - segments[::-1].index("metadata")
        mirror = "/".join([*segments[:at], "data", *segments[at + 1 :]])
        places.append(mirror)
        if manifest.run_id:
            places.append(f"{mirror}/{manifest.run_id}")
    return places


def _by_numbering(files: Iterable[PartFile]) -> list[PlannedDelivery]:
    families: dict[tuple[str, str, str], list[PartFile]] = defaultdict(list)
    singles = []
    for part in files:
        family = _family(part.base_name)
        if family is None:
            singles.append(PlannedDelivery(part.name, "file", (part,)))
        else:
            families[(part.folder, *family)].append(part)
    numbered = [
        PlannedDelivery(_family_name(folder, parts), layout, tuple(parts), _gaps(parts))
        for (folder, layout, stem), parts in families.items()
    ]
    return singles + numbered


def _family(base_name: str) -> tuple[str, str] | None:
    """("aws", export stem) or ("azure", "part") for a part name; None for any other name."""
    if (aws := _AWS_PART.match(base_name)) is not None:
        return "aws", aws["stem"]
    if _AZURE_PART.match(base_name) is not None:
        return "azure", "part"
    return None


def _number(base_name: str) -> tuple[int, str, str] | None:
    """(part number counted from 1, name before it, name after it) of a part name."""
    if (aws := _AWS_PART.match(base_name)) is not None:
        return int(aws["number"]), f"{aws['stem']}-", aws["ext"]
    if (azure := _AZURE_PART.match(base_name)) is not None:
        return int(azure["number"]) + 1, "part_", f"_{azure['run']}{azure['ext']}"
    return None


def _gaps(parts: Sequence[PartFile]) -> tuple[str, ...]:
    """Part names missing below the highest number present, when every file is numbered alike."""
    numbers = [_number(part.base_name) for part in parts]
    if not numbers or any(n is None for n in numbers):
        return ()
    known = [n for n in numbers if n is not None]
    if len({(before, after) for _, before, after in known}) > 1:
        return ()
    _, before, after = known[0]
    present, offset = {n for n, _, _ in known}, 0 if before.endswith("-") else 1
    width = 5 if before.endswith("-") else 0
    return tuple(
        f"{before}{number - offset:0{width}d}{after}"
        for number in range(1, max(present) + 1)
        if number not in present
    )


def _family_name(folder: str, parts: Sequence[PartFile]) -> str:
    names = sorted(part.base_name for part in parts)
    where = f"{folder}/" if folder and folder != "." else ""
    shown = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
    return f"{where}{shown} ({len(names)} part{'s' if len(names) > 1 else ''})"
