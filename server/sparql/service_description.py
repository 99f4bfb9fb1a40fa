"""The SPARQL 1.1 Service Description served at the endpoint when there is no query."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
SD_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG")  # fmt: skip


def describe_service(public_url: str, media_type: str) -> bytes:
    """The description, with sd:endpoint built from the configured public URL."""
    graph = Graph()
    graph.bind("sd", SD)
    service = URIRef(public_url + "sparql#service")
    endpoint = URIRef(public_url + "sparql")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, RDFS.label, Literal("s3kg SPARQL endpoint", lang="en")))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, RDFS.comment, Literal("The merge of every source graph (the shapes excepted).", lang="en")))
    data = graph.serialize(format=SD_TYPES[media_type], encoding="utf-8")
    return data if isinstance(data, bytes) else bytes(data)
