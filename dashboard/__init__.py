"""meshlens dashboard: analysis, figures, pages, notebook widgets and the CLI."""
