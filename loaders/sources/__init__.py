"""The inputs of a build: the sources list (data/sources.yaml) and the one table of source kinds."""
