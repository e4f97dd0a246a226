"""Where the Iceberg tables live: a pyiceberg catalog and a warehouse location.

By default the catalog is pyiceberg's SQL catalog in the product's own database (it adds its two
tables, `iceberg_tables` and `iceberg_namespace_properties`, beside ours), so a run needs no other
service; `export.iceberg.catalog` names any catalog pyiceberg can load by URI instead (another
SQL database, a REST catalog). Data and metadata files go under `export.iceberg.warehouse`: a
folder, or `s3://bucket/prefix` with the same S3 settings as the Parquet exports.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.export.fs import s3_endpoint, s3_region

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

    from etl.config import Settings


@dataclass(frozen=True)
class IcebergOptions:
    """`catalog_uri`: catalog to use (None: the SQL catalog in `database_url`); `warehouse`:
    folder or URI of the files; `retention_seconds`/`small_file_bytes`: what --compact does."""

    database_url: str
    warehouse: str = "warehouse"
    catalog_uri: str | None = None
    catalog_name: str = "rcetl"
    namespace: str = "rocketchat"
    endpoint_url: str | None = None
    batch_rows: int = 16 * 1024
    retention_seconds: float = 7 * 86400.0
    small_file_bytes: int = 32 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> IcebergOptions:
        export = settings.export
        iceberg = export.iceberg
        return cls(
            database_url=settings.database.url,
            warehouse=iceberg.warehouse,
            catalog_uri=iceberg.catalog,
            catalog_name=iceberg.catalog_name,
            namespace=iceberg.namespace,
            endpoint_url=str(export.endpoint_url) if export.endpoint_url else None,
            batch_rows=export.batch_size,
            retention_seconds=iceberg.snapshot_retention,
            small_file_bytes=iceberg.small_file_bytes,
        )


def warehouse_uri(warehouse: str) -> str:
    """A URI pyiceberg's FileIO understands: object stores as given, folders as file:// URIs."""
    if "://" in warehouse and not warehouse.startswith("file://"):
        return warehouse.rstrip("/")
    path = Path(warehouse.removeprefix("file://")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path.as_uri()


def io_properties(warehouse: str, endpoint_url: str | None) -> dict[str, str]:
    """FileIO settings: the S3 endpoint and region the Parquet exports use. Credentials are left
    to the AWS environment (pyarrow reads it), so no secret is ever handed around."""
    if not warehouse.startswith("s3://"):
        return {}
    props = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
    if endpoint := s3_endpoint(endpoint_url):
        props["s3.endpoint"] = endpoint
    if region := s3_region():
        props["s3.region"] = region
    return props


def _sql_uri(database_url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(database_url).render_as_string(hide_password=False)


def _is_sql(uri: str) -> bool:
    """What pyiceberg infers to be its SQL catalog from a URI."""
    return uri.startswith(("sqlite", "postgresql"))


def open_catalog(options: IcebergOptions) -> Catalog:
    """The configured catalog, with the warehouse namespace created if missing."""
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NamespaceAlreadyExistsError

    warehouse = warehouse_uri(options.warehouse)
    properties: dict[str, Any] = {
        "uri": options.catalog_uri or _sql_uri(options.database_url),
        "warehouse": warehouse,
        **io_properties(warehouse, options.endpoint_url),
    }
    if options.catalog_uri is None or _is_sql(options.catalog_uri):
        # pyiceberg's SQL catalog with leaner commits (etl/export/iceberg_commit.py)
        properties["py-catalog-impl"] = "etl.export.iceberg_commit.LeanSqlCatalog"
    catalog = load_catalog(options.catalog_name, **properties)
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace(options.namespace)
    return catalog
