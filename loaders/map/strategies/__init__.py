"""Loader for smart specialisation strategies (source kind `s3-strategy`): one YAML file per
region's or country's strategy, with its priority domains, in the layout docs/strategies.md
describes for regional S3 teams.

A strategy becomes an s3:Strategy (a SKOS concept scheme) in its NUTS region; each priority
domain an s3:S3Domain concept in it, named in the strategy's language and in English, with the
codes it gives: NACE Rev. 2 sectors, OECD fields of science (FORD), 2021-2027 specific
objectives, and concepts elsewhere in the graph it means (`matches`, e.g. a portfolio's domain).
Every statement cites the file itself (with its SHA-256) and the source documents it names.
"""

from loaders.map.strategies.load import load_strategy

__all__ = ["load_strategy"]
