"""What every stage shares: vocabularies, IRIs, errors, origins, N-Triples terms, load records,
file limits, paths, store queries, the usable cores."""
