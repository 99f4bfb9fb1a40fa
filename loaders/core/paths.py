"""Where the product's own files are (`loaders/bundled/`): the same names in a checkout, where
they are the top-level folders, and in an installed wheel, which carries copies of them."""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parents[1] / "bundled"
ONTOLOGY_FILE = (BUNDLED / "ontology").resolve() / "s3kg.ttl"
SHAPES_DIR = (BUNDLED / "shapes").resolve()
DATA_DIR = (BUNDLED / "data").resolve()  # the default build's sources (data/sources.yaml)
REFERENCE_DIR = DATA_DIR / "reference"  # the tables the loaders read besides the listed sources
