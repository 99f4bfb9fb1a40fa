"""The product's own files, as an installed package carries them: the ontology, the shapes and the
default data (reference tables, curated records, strategies). In a checkout these are symbolic
links to the top-level folders ontology/, shapes/ and data/; a wheel holds copies
(pyproject.toml, package-data). `loaders.core.paths` names them."""
