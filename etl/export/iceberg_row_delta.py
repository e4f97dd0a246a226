"""`RowDelta`: one Iceberg snapshot that adds data files and position-delete files together (and,
after a compaction, drops the delete files that referred to the replaced data files).

pyiceberg has no row-delta producer of its own: this one is its fast-append producer whose
manifests also list the delete files, in a manifest of content `deletes` per partition spec.
Imported only by functions that already use pyiceberg (it is an optional extra).
"""

from __future__ import annotations

from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    ManifestContent,
    ManifestEntry,
    ManifestEntryStatus,
    ManifestFile,
    ManifestWriter,
    ManifestWriterV2,
)
from pyiceberg.table import Transaction
from pyiceberg.table.snapshots import Operation
from pyiceberg.table.update.snapshot import _FastAppendFiles


class DeleteManifestWriter(ManifestWriterV2):
    def content(self) -> ManifestContent:
        return ManifestContent.DELETES

    @property
    def _meta(self) -> dict[str, str]:
        return {**super()._meta, "content": "deletes"}


class RowDelta(_FastAppendFiles):
    def __init__(
        self, tx: Transaction, properties: dict[str, str], *, drop_deletes: bool = False
    ) -> None:
        super().__init__(Operation.OVERWRITE, tx, tx._table.io, snapshot_properties=properties)
        self._drop_deletes = drop_deletes

    def _delete_writer(self, spec_id: int) -> ManifestWriter:
        return DeleteManifestWriter(
            self.spec(spec_id),
            self.schema(),
            self.new_manifest_output(),
            self._snapshot_id,
            self._compression,
        )

    def _split(self) -> tuple[list[DataFile], list[DataFile]]:
        data = [f for f in self._added_data_files if f.content == DataFileContent.DATA]
        return data, [f for f in self._added_data_files if f not in data]

    def _dropped(self) -> list[ManifestFile]:
        parent = self._transaction.table_metadata.snapshot_by_id(self._parent_snapshot_id or -1)
        if not self._drop_deletes or parent is None:
            return []
        return [m for m in parent.manifests(self._io) if m.content == ManifestContent.DELETES]

    def _existing_manifests(self) -> list[ManifestFile]:
        dropped = {m.manifest_path for m in self._dropped()}
        return [m for m in super()._existing_manifests() if m.manifest_path not in dropped]

    def _manifests(self) -> list[ManifestFile]:
        everything = self._added_data_files
        data, deletes = self._split()
        if not deletes and not self._dropped():
            self._operation = Operation.APPEND
        self._added_data_files = data
        try:
            manifests = super()._manifests()
        finally:
            self._added_data_files = everything
        entries = [self._added(f) for f in deletes] + self._removed_deletes()
        return manifests + self._delete_manifests(entries)

    def _delete_manifests(self, entries: list[ManifestEntry]) -> list[ManifestFile]:
        by_spec: dict[int, list[ManifestEntry]] = {}
        for entry in entries:
            by_spec.setdefault(entry.data_file.spec_id, []).append(entry)
        manifests = []
        for spec_id, group in by_spec.items():
            with self._delete_writer(spec_id) as writer:
                for entry in group:
                    writer.add_entry(entry)
            manifests.append(writer.to_manifest_file())
        return manifests

    def _added(self, f: DataFile) -> ManifestEntry:
        return ManifestEntry.from_args(
            status=ManifestEntryStatus.ADDED,
            snapshot_id=self._snapshot_id,
            sequence_number=None,
            file_sequence_number=None,
            data_file=f,
        )

    def _removed_deletes(self) -> list[ManifestEntry]:
        removed = []
        for manifest in self._dropped():
            for entry in manifest.fetch_manifest_entry(self._io, discard_deleted=True):
                self._deleted_data_files.add(entry.data_file)
                removed.append(
                    ManifestEntry.from_args(
                        status=ManifestEntryStatus.DELETED,
                        snapshot_id=self._snapshot_id,
                        sequence_number=entry.sequence_number,
                        file_sequence_number=entry.file_sequence_number,
                        data_file=entry.data_file,
                    )
                )
        return removed
