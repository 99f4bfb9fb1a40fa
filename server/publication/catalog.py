"""The dataset describing itself: a DCAT-AP 3 catalogue record (for data.europa.eu to harvest)
and a VoID description, built from the published build, its dumps and the configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, VOID, XSD

from loaders.publish.changes import Changes
from loaders.publish.store import BuildInfo

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace is DCAT 2
EU = "http://publications.europa.eu/resource/authority/"
LICENCE = URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
ATTRIBUTION = (
    "s3kg (CC BY 4.0), built from the sources it cites per fact: the seed documents, keep.eu's export of "
    "Interreg projects (reuse with credit to keep.eu), national lists of operations, Interreg partner lists, "
    "the EU Publications Office's country table and the CCI code list (© European Union, reuse with attribution); "
    "NUTS boundaries on the map © EuroGeographics."
)
# What the data and its pages are written in (EU language authority codes): the pages' languages and
# the languages most of the sources' texts are in
LANGUAGES = {"ENG": "en", "DEU": "de", "FRA": "fr", "NLD": "nl", "POL": "pl", "SWE": "sv", "CES": "cs"}
GZIP = URIRef("http://www.iana.org/assignments/media-types/application/gzip")
TITLE = "s3kg — the knowledge graph of EU Smart Specialisation Strategies"
DESCRIPTION = (
    "Programmes, projects and portfolios, partners and their roles, S3 domains, sectors and objectives of the EU's "
    "Smart Specialisation Strategies, as linked open data; every fact cites the document that states it."
)
THEMES = {"ECON": "Economy and finance", "REGI": "Regions and cities", "TECH": "Science and technology"}
FILE_TYPES = {"s3kg.nt.gz": "RDF_N_TRIPLES", "s3kg.nq.gz": "RDF_N_QUADS", "s3kg.ttl": "RDF_TURTLE", "s3kg.jsonld": "JSON_LD"}


@dataclass(frozen=True)
class Site:
    public_url: str  # this server, ending in "/"
    base_iri: str  # entity IRIs


def citation(public_url: str, build: BuildInfo) -> str:
    """The suggested citation of the data as published in `build` (home page and catalogue record)."""
    return (
        f"The s3kg developers ({build.created[:4]}). s3kg: the knowledge graph of EU Smart Specialisation "
        f"Strategies, version {build.version} (build {build.build_id}, published {build.created[:10]}). "
        f"{public_url} . Licence: CC BY 4.0."
    )


def version_notes(build: BuildInfo, changes: Changes | None) -> str:
    """What the version changed, in one paragraph (adms:versionNotes)."""
    if changes is None:
        return f"Version {build.version} (build {build.build_id}); it recorded no changes."
    if changes.previous is None:
        return f"Version {build.version} (build {build.build_id}): the first build, {build.triples:,} triples."
    parts = [
        f"{source.graph.rsplit('/', 1)[-1]} +{source.added:,} −{source.removed:,}"
        if source.added is not None
        else f"{source.graph.rsplit('/', 1)[-1]} {source.before:,} → {source.triples:,} triples (not itemised)"
        for source in changes.sources
    ]
    summary = f"+{changes.added:,} −{changes.removed:,} triples since build {changes.previous}"
    return f"Version {build.version} (build {build.build_id}): {summary}" + (
        f"; by source: {', '.join(parts)}." if parts else "."
    )


def read_manifest(dumps_dir: Path) -> list[dict[str, object]]:
    path = dumps_dir / "manifest.json"
    return list(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else []


def catalog_record(
    site: Site, build: BuildInfo, dumps: list[dict[str, object]], changes: Changes | None = None, issued: str | None = None
) -> Graph:
    """The DCAT-AP 3 record; `issued`: when the first kept build was published (ISO date-time)."""
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("spdx", SPDX), ("vcard", VCARD)):
        g.bind(prefix, ns)
    url = site.public_url
    catalog, dataset, service = URIRef(url + "catalog"), URIRef(url + "catalog#dataset"), URIRef(url + "sparql#service")
    publisher, contact = URIRef(url + "catalog#publisher"), URIRef(url + "catalog#contact")
    title = Literal(TITLE, lang="en")
    description = Literal(DESCRIPTION, lang="en")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("s3kg catalogue", lang="en")))
    g.add((catalog, DCTERMS.description, Literal("The datasets and services of s3kg.", lang="en")))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, FOAF.homepage, URIRef(url)))
    g.add((URIRef(url), RDF.type, FOAF.Document))
    g.add((catalog, DCTERMS.modified, Literal(build.created[:10], datatype=XSD.date)))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal("The s3kg developers", lang="en")))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal("s3kg maintainers")))
    g.add((contact, VCARD.hasURL, URIRef(url)))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, title))
    g.add((dataset, DCTERMS.description, description))
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((dataset, DCTERMS.identifier, Literal(site.base_iri)))
    g.add((dataset, DCTERMS.modified, Literal(build.created[:10], datatype=XSD.date)))
    g.add((dataset, DCTERMS.issued, Literal((issued or build.created)[:10], datatype=XSD.date)))
    g.add((dataset, DCAT.landingPage, URIRef(url)))
    for code in LANGUAGES:
        language = URIRef(f"{EU}language/{code}")
        g.add((dataset, DCTERMS.language, language))
        g.add((language, RDF.type, DCTERMS.LinguisticSystem))
    g.add((dataset, DCAT_VERSION, Literal(str(build.version))))
    g.add((dataset, ADMS.versionNotes, Literal(version_notes(build, changes), lang="en")))
    g.add((dataset, DCTERMS.bibliographicCitation, Literal(citation(url, build), lang="en")))
    g.add((dataset, DCTERMS.rights, URIRef(url + "catalog#rights")))
    g.add((URIRef(url + "catalog#rights"), RDF.type, DCTERMS.RightsStatement))
    g.add((URIRef(url + "catalog#rights"), RDFS.label, Literal(ATTRIBUTION, lang="en")))
    for code, label in THEMES.items():
        theme = URIRef(f"{EU}data-theme/{code}")
        g.add((dataset, DCAT.theme, theme))
        g.add((theme, RDF.type, SKOS.Concept))
        g.add((theme, SKOS.prefLabel, Literal(label, lang="en")))
    for keyword in ("smart specialisation", "S3", "Interreg", "cohesion policy", "innovation"):
        g.add((dataset, DCAT.keyword, Literal(keyword, lang="en")))
    period = URIRef(url + "catalog#period")
    g.add((dataset, DCTERMS.temporal, period))
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, Literal("2014-01-01", datatype=XSD.date)))
    g.add((period, DCAT.endDate, Literal("2027-12-31", datatype=XSD.date)))
    g.add((dataset, DCTERMS.spatial, URIRef(f"{EU}continent/EUROPE")))
    g.add((URIRef(f"{EU}continent/EUROPE"), RDF.type, DCTERMS.Location))
    g.add((dataset, DCTERMS.conformsTo, URIRef("https://w3id.org/s3kg/ontology")))
    g.add((URIRef("https://w3id.org/s3kg/ontology"), RDF.type, DCTERMS.Standard))
    g.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))

    for dump in dumps:
        name = str(dump["name"])
        distribution = URIRef(f"{url}catalog#{name}")
        checksum = URIRef(f"{url}catalog#{name}-sha256")
        download = URIRef(f"{url}dumps/{name}")
        media = URIRef(f"http://www.iana.org/assignments/media-types/{dump['media_type']}")
        g.add((dataset, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, Literal(f"Dump: {name}", lang="en")))
        g.add((distribution, DCAT.accessURL, URIRef(url + "dumps/")))
        g.add((URIRef(url + "dumps/"), RDF.type, RDFS.Resource))
        g.add((distribution, DCAT.downloadURL, download))
        g.add((distribution, DCAT.mediaType, media))
        if name.endswith(".gz"):
            g.add((distribution, DCAT.compressFormat, GZIP))
            g.add((GZIP, RDF.type, DCTERMS.MediaType))
        g.add((media, RDF.type, DCTERMS.MediaType))
        file_type = URIRef(f"{EU}file-type/{FILE_TYPES.get(name, 'RDF')}")
        g.add((distribution, DCTERMS["format"], file_type))
        g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
        g.add((distribution, DCAT.byteSize, Literal(int(str(dump["size"])), datatype=XSD.nonNegativeInteger)))
        g.add((distribution, DCTERMS.license, LICENCE))
        g.add((distribution, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
        g.add((download, RDF.type, RDFS.Resource))
        g.add((checksum, SPDX.checksumValue, Literal(str(dump["sha256"]), datatype=XSD.hexBinary)))

    endpoint = URIRef(url + "sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("s3kg SPARQL 1.1 endpoint", lang="en")))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, endpoint))
    g.add((endpoint, RDF.type, RDFS.Resource))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.license, LICENCE))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((URIRef("https://www.w3.org/TR/sparql11-protocol/"), RDF.type, DCTERMS.Standard))
    return g


def void_description(site: Site, build: BuildInfo, dumps: list[dict[str, object]], example: str) -> Graph:
    g = Graph()
    g.bind("void", VOID)
    dataset = URIRef(site.public_url + "catalog#dataset")
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal("s3kg", lang="en")))
    g.add((dataset, DCTERMS.license, LICENCE))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(site.public_url + "sparql")))
    g.add((dataset, VOID.uriSpace, Literal(site.base_iri)))
    g.add((dataset, VOID.vocabulary, URIRef("https://w3id.org/s3kg/ontology#")))
    g.add((dataset, VOID.exampleResource, URIRef(example)))
    g.add((dataset, VOID.triples, Literal(build.triples)))
    for dump in dumps:
        g.add((dataset, VOID.dataDump, URIRef(f"{site.public_url}dumps/{dump['name']}")))
    for graph, triples in sorted(build.graphs.items()):
        subset = URIRef(graph)
        g.add((dataset, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, VOID.triples, Literal(triples)))
    return g


def schema_dataset(site: Site, build: BuildInfo, dumps: list[dict[str, object]], issued: str | None = None) -> dict[str, object]:
    """The same dataset as schema.org's Dataset in JSON-LD, for search engines' dataset search (on
    the home page and the catalogue page)."""
    url = site.public_url
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": url + "catalog#dataset",
        "name": TITLE,
        "description": DESCRIPTION,
        "url": url,
        "identifier": site.base_iri,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": "The s3kg developers", "url": url},
        "publisher": {"@type": "Organization", "name": "The s3kg developers", "url": url},
        "version": str(build.version),
        "dateModified": build.created[:10],
        "datePublished": (issued or build.created)[:10],
        "inLanguage": list(LANGUAGES.values()),
        "keywords": ["smart specialisation", "S3", "Interreg", "cohesion policy", "innovation"],
        "spatialCoverage": {"@type": "Place", "name": "Europe"},
        "temporalCoverage": "2014-01-01/2027-12-31",
        "citation": citation(url, build),
        "includedInDataCatalog": {"@type": "DataCatalog", "name": "s3kg catalogue", "url": url + "catalog"},
        "distribution": [
            {
                "@type": "DataDownload",
                "name": str(dump["name"]),
                "contentUrl": f"{url}dumps/{dump['name']}",
                "encodingFormat": "application/gzip" if str(dump["name"]).endswith(".gz") else str(dump["media_type"]),
                "contentSize": f"{dump['size']} B",
            }
            for dump in dumps
        ],
    }
