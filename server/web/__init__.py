"""What every route shares: request limits, HEAD, negotiation, languages, addresses, templates, logs and metrics."""
