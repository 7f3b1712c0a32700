"""Ingest domain: PDFs in the landing folder to the DuckDB raw layer, one partition per document."""
