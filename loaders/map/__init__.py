"""Sources into RDF, one module per format: reference tables, curated records, strategies, real exports."""
