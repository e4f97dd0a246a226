"""`rcetl export html`: a static site people can read and search, written from the database."""

from etl.export.html.site import HtmlResult, export_html

__all__ = ["HtmlResult", "export_html"]
