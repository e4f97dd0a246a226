"""Full-text search over message texts in the database (`rcetl search`, `rcetl db reindex`)."""

from etl.fulltext.query import SearchHit, SearchQuery, search_messages
from etl.fulltext.reindex import reindex

__all__ = ["SearchHit", "SearchQuery", "reindex", "search_messages"]
