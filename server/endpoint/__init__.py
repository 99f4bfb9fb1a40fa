"""The SPARQL 1.1 endpoint at /sparql and its query editor."""
