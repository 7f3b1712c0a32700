"""cnbudget: Chinese government budget PDFs into a verified DuckDB star schema."""

__version__ = "0.1.0"
