"""`rcetl export verify`: check an archive or a feed against its manifest.json."""

from __future__ import annotations

from pathlib import Path

from etl.export.archive_files import verify_archived_files
from etl.export.fs import open_location
from etl.export.html.manifest import FORMAT as HTML_FORMAT
from etl.export.html.manifest import verify_site
from etl.export.manifest import MANIFEST, read_json, verify_manifest


def verify_archive(out: str, endpoint_url: str | None = None) -> list[str]:
    """Every problem found in the export at `out` (archive or feed); empty means intact."""
    location = open_location(out, endpoint_url)
    if not location.exists(MANIFEST):
        return [f"{MANIFEST}: missing (not an export, or an export that did not finish)"]
    try:
        manifest = read_json(location, MANIFEST)
    except ValueError as exc:
        return [f"{MANIFEST}: not valid JSON ({exc})"]
    if manifest.get("format") == HTML_FORMAT:
        return verify_site(Path(out), manifest)
    return verify_manifest(location, manifest) + verify_archived_files(location, manifest)
