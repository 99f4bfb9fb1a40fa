"""Real exports loaded as a user loads them (`s3kg load` into a copy of the project), read to
their end: every row accounted for, and the graph's values spot-checked against the files' own
cells (tests/real/README.md says where each file comes from)."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT
from openpyxl import Workbook
from seed_data import copy_seed_data

from loaders.core.iris import slug
from loaders.map.exports.keep_eu_layouts import SEARCH_PARTNER_COLUMNS as PARTNER_COLUMNS
from loaders.map.exports.keep_eu_layouts import SEARCH_PROJECT_COLUMNS as PROJECT_COLUMNS

REAL = PROJECT / "tests" / "real"
BENEFICIARIES = REAL / "kohesio-beneficiaries-2023.tsv"


def s3kg(project: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """The CLI run from inside a project folder (data/, exports/, var/) as a user runs it."""
    env = {**os.environ, "COLUMNS": "250"} | {f"S3KG_{k.upper()}": v for k, v in settings.items()}
    env = {k: v for k, v in env.items() if k not in ("S3KG_STORE_DIR", "S3KG_REPORT_DIR", "S3KG_DATA_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "s3kg.cli", *args, "--data-dir", str(project / "data")] if args[0] in ("load", "build") else
        [sys.executable, "-m", "s3kg.cli", *args],
        capture_output=True, text=True, env=env, cwd=project, timeout=600,
    )  # fmt: skip


def new_project(root: Path) -> Path:
    copy_seed_data(root / "data")
    (root / "exports").mkdir()
    return root


def select(project: Path, query: str) -> list[dict[str, str]]:
    result = s3kg(project, "query", "-f", "json", query)
    assert result.returncode == 0, result.stderr
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(result.stdout)["results"]["bindings"]]


def file_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """The file's data lines, read here without the loader: tab-separated, a quote is data."""
    with path.open(encoding=encoding, newline="") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]


def loaded_project(root: Path, kind: str, export: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A new project with `export` copied into exports/ and loaded as `kind` (which must succeed)."""
    project = new_project(root)
    shutil.copy(export, project / "exports" / export.name)
    loaded = s3kg(project, "load", kind, f"exports/{export.name}")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return project, loaded


@pytest.fixture(scope="module")
def beneficiaries(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return loaded_project(tmp_path_factory.mktemp("real"), "kohesio-beneficiaries", BENEFICIARIES)


def test_a_real_beneficiary_export_is_read_to_its_end_and_the_account_adds_up(beneficiaries: Any) -> None:
    project, loaded = beneficiaries
    rows = file_rows(BENEFICIARIES)
    assert len(rows) == 27_222
    identity = {(r["Country"], slug(r["Beneficiary Name"]), r["Region"], *list(r.values())[3:6]) for r in rows}
    organisations = {(r["Country"], r["Beneficiary Name"]) for r in rows}
    account = re.search(r"\((\S+) rows read, (\S+) loaded, (\S+) merged, (\S+) rejected\)", loaded.stdout)
    assert account is not None and "Source added: kohesio-beneficiaries" in loaded.stdout, loaded.stdout
    read, new, merged, rejected = (int(n.replace(",", "")) for n in account.groups())
    assert read == len(rows) == new + merged + rejected
    with_records = select(project, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o s3:fundingRecord ?r }")
    assert new == int(with_records[0]["n"]) and 24_000 < new <= len(organisations), "one organisation per name and country"
    rejects = (project / "var/reports/rejects.csv").read_text(encoding="utf-8")
    assert rejected == 2 and "the EU contribution is more than the total budget" in rejects
    assert "(read as tab-separated, quotes as data, UTF-8)" in loaded.stderr
    records = select(project, "SELECT (COUNT(*) AS ?n) WHERE { ?r a s3:FundingRecord }")
    assert int(records[0]["n"]) == len(identity) - 2, "one funding record per beneficiary, region and figures"
    accounts = json.loads((project / "var/reports/accounts.json").read_text(encoding="utf-8"))
    mine = accounts[f"exports/{BENEFICIARIES.name}"]
    assert (mine["read"], mine["loaded"], mine["merged"], mine["rejected"]) == (read, new, merged, rejected)
    assert mine["read_as"] == "tab-separated, quotes as data, UTF-8"


def test_names_that_open_with_a_quote_are_kept_whole_and_claim_no_language(beneficiaries: Any) -> None:
    project, _ = beneficiaries
    quoted = [r for r in file_rows(BENEFICIARIES) if r["Beneficiary Name"].startswith('"')]
    assert len(quoted) == 454
    found = select(project, 'SELECT ?l WHERE { ?o a s3:Organisation ; rdfs:label ?l FILTER(STRSTARTS(STR(?l), "\\"Зора-ЕС\\""))}')
    assert [f["l"] for f in found] == ['"Зора-ЕС" ЕООД']
    languages = "SELECT DISTINCT (LANG(?l) AS ?t) WHERE { ?o s3:fundingRecord ?r ; rdfs:label ?l }"
    assert [t["t"] for t in select(project, languages)] == ["und"], "the export states no language for names"


def test_a_beneficiary_in_several_regions_is_one_organisation_with_each_regions_figures(beneficiaries: Any) -> None:
    project, _ = beneficiaries
    cells = [r for r in file_rows(BENEFICIARIES) if r["Beneficiary Name"] == "ОБЩИНА РАЗЛОГ"]
    assert {(r["Region"], r["Total Budget"], r["Number of Projects"]) for r in cells} == {
        ("Blagoevgrad Province", "555701.41", "3"),
        ("София (столица)", "4588058.28", "10"),
    }
    query = """SELECT ?region ?total ?eu ?projects WHERE {
        ?o rdfs:label "ОБЩИНА РАЗЛОГ"@und ; s3:fundingRecord ?r .
        ?r s3:region/skos:notation ?region ; s3:totalBudget/schema:value ?total ; s3:euContribution/schema:value ?eu ;
           s3:projectCount ?projects } ORDER BY ?region"""
    assert select(project, query) == [
        {"region": "BG411", "total": "4588058.28", "eu": "3899355.16", "projects": "10"},
        {"region": "BG413", "total": "555701.41", "eu": "508692.82", "projects": "3"},
    ]


def test_empty_amounts_are_unknown_and_scientific_notation_is_read(beneficiaries: Any) -> None:
    project, _ = beneficiaries
    rows = file_rows(BENEFICIARIES)
    empty_eu = {tuple(r.values()) for r in rows if not r["EU Contribution"].strip()}
    assert len(empty_eu) > 1_000
    found = select(
        project, "SELECT (COUNT(*) AS ?n) WHERE { ?r a s3:FundingRecord FILTER NOT EXISTS { ?r s3:euContribution ?e } }"
    )
    assert int(found[0]["n"]) == len(empty_eu)
    sample = next(r for r in rows if r["Total Budget"] == "3.8044078757E8")
    query = f"""SELECT ?total WHERE {{ ?o rdfs:label {json.dumps(sample["Beneficiary Name"])}@und ; s3:fundingRecord ?r .
        ?r s3:totalBudget/schema:value ?total FILTER(?total > 1e8) }}"""
    assert [float(t["total"]) for t in select(project, query)] == [380440787.57]


def test_every_region_name_resolves_in_any_script_or_exonym(beneficiaries: Any, tmp_path: Path) -> None:
    project, loaded = beneficiaries
    assert "region names are not NUTS regions" not in loaded.stderr
    query = """SELECT ?name ?code WHERE { ?r a s3:FundingRecord ; s3:regionName ?name ; s3:region/skos:notation ?code }
        GROUP BY ?name ?code"""
    resolved = {r["name"]: r["code"] for r in select(project, query)}
    assert len(resolved) == len({r["Region"] for r in file_rows(BENEFICIARIES)}) == 149
    names = ["Бургас", "Vilnius County", "Central Bohemian Region", "София (столица)", "Sofia Province", "Split-Dalmatia County"]
    assert [resolved[n] for n in names] == ["BG341", "LT011", "CZ020", "BG411", "BG412", "HR035"]


def test_the_no_english_label_check_is_one_line_per_file(beneficiaries: Any) -> None:
    _, loaded = beneficiaries
    lines = [line for line in loaded.stderr.splitlines() if "no English label" in line]
    assert len(lines) == 1 and re.search(r"exports/kohesio-beneficiaries-2023\.tsv: [\d,]+ records", lines[0]), lines


def test_the_sources_list_keeps_a_relative_path_and_nothing_published_names_an_absolute_one(beneficiaries: Any) -> None:
    project, _ = beneficiaries
    listed = (project / "data" / "sources.yaml").read_text(encoding="utf-8")
    assert f'path: "../exports/{BENEFICIARIES.name}"' in listed and str(project) not in listed
    names = [r["f"] for r in select(project, "SELECT DISTINCT ?f WHERE { ?s s3:fileName ?f }")]
    assert f"exports/{BENEFICIARIES.name}" in names and not [n for n in names if n.startswith("/")]
    everything = s3kg(project, "query", "-f", "csv", "SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }")
    assert str(project) not in everything.stdout and str(PROJECT) not in everything.stdout


def test_a_file_outside_the_project_is_published_by_its_name_alone(tmp_path: Path) -> None:
    project, elsewhere = new_project(tmp_path / "project"), tmp_path / "downloads"
    elsewhere.mkdir()
    export = elsewhere / "beneficiaries.tsv"
    export.write_text("".join(BENEFICIARIES.read_text(encoding="utf-8").splitlines(keepends=True)[:200]), encoding="utf-8")
    loaded = s3kg(project, "load", "kohesio-beneficiaries", str(export))
    assert loaded.returncode == 0, loaded.stderr
    query = "SELECT ?f WHERE { ?s a s3:SourceDocument ; s3:fileName ?f FILTER(CONTAINS(?f, 'benef')) }"
    assert [r["f"] for r in select(project, query)] == ["beneficiaries.tsv"]


def test_a_central_european_code_page_file_loads_as_its_utf8_original(tmp_path: Path) -> None:
    """Excel on a Central European Windows saves text as CP-1250: the same rows, the same names."""
    lines = BENEFICIARIES.read_text(encoding="utf-8").splitlines(keepends=True)
    countries = ("Czechia", "Poland", "Hungary", "Slovakia")
    central = [lines[0], *[line for line in lines[1:] if line.split("\t")[0] in countries][::40]]
    text = "".join(central)
    assert any(c in text for c in "řłőž")
    names: list[set[str]] = []
    for encoding in ("utf-8", "cp1250"):
        project = new_project(tmp_path / encoding)
        (project / "exports" / "central.tsv").write_bytes(text.encode(encoding))
        loaded = s3kg(project, "load", "kohesio-beneficiaries", "exports/central.tsv")
        assert loaded.returncode == 0, loaded.stderr
        assert f"{len(central) - 1} rows read" in loaded.stderr
        query = "SELECT ?l WHERE { ?o s3:fundingRecord ?r ; rdfs:label ?l }"
        names.append({r["l"] for r in select(project, query)})
    assert "CP1250" in loaded.stderr
    assert names[0] == names[1] and len(names[0]) > 100


def test_a_file_with_too_many_rejected_rows_fails_and_changes_nothing(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    lines = BENEFICIARIES.read_text(encoding="utf-8").splitlines(keepends=True)[:2001]
    damaged = [lines[0]] + [
        line.replace("Bulgaria\t", "Atlantis\t", 1) if n % 12 == 0 else line for n, line in enumerate(lines[1:])
    ]
    (project / "exports" / "damaged.tsv").write_text("".join(damaged), encoding="utf-8")
    sources = (project / "data" / "sources.yaml").read_bytes()
    refused = s3kg(project, "load", "kohesio-beneficiaries", "exports/damaged.tsv")
    assert refused.returncode == 1 and "Source added" not in refused.stdout
    assert "167 of its 2,000 rows were rejected (8.3%), more than the 5% allowed" in refused.stderr
    assert "column 'Country': not a country name of the EU country table. (167 rows)" in refused.stderr
    assert (project / "data" / "sources.yaml").read_bytes() == sources and not (project / "var" / "store" / "current").exists()
    allowed = s3kg(project, "load", "kohesio-beneficiaries", "exports/damaged.tsv", max_reject_share="0.1")
    assert allowed.returncode == 0 and "(2,000 rows read, " in allowed.stdout, allowed.stderr


def test_a_broken_record_in_a_quoting_csv_is_rejected_alone_with_its_line(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    golden = (
        (PROJECT / "tests" / "golden" / "cordis-projects" / "project.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    )
    header, rows = golden[0], golden[1:]
    broken = '"999";"BROKEN";"SIGNED";"A title with "a stray" quote";"2020-01-01";"2021-01-01";"1";"1"\n'
    (project / "exports" / "project.csv").write_text("".join([header, broken, *rows]), encoding="utf-8")
    loaded = s3kg(project, "load", "cordis-projects", "exports/project.csv", max_reject_share="1")
    assert loaded.returncode == 0, loaded.stderr
    assert "7 rows read" in loaded.stderr, "the six records after the broken one are read (one spans two lines)"
    with (project / "var" / "reports" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = [r for r in csv.DictReader(handle) if r["reason"].startswith("the line cannot be read")]
    assert [(r["row"], r["reason"][:40]) for r in rejects] == [("2", "the line cannot be read as semicolon-sep")]


def test_a_workbook_whose_dimension_is_stale_is_read_to_its_last_row(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    original = PROJECT / "tests" / "golden" / "keep-eu" / "keep-eu.xlsx"
    stale = project / "exports" / "keep-eu.xlsx"
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[A-Z]+1:([A-Z]+)\d+"', rb'<dimension ref="A1:\g<1>3"', data)
            target.writestr(item, data)
    loaded = s3kg(project, "load", "keep-eu", "exports/keep-eu.xlsx", max_reject_share="1")
    assert loaded.returncode == 0, loaded.stderr
    counts = Counter(re.findall(r"\[Search results, (\w+)\]: (\d+) rows read", loaded.stderr))
    assert counts == Counter({("projects", "8"): 1, ("partners", "6"): 1}), loaded.stderr


SWEDISH = REAL / "interreg-sweden-partners-2021-2027.json"


@pytest.fixture(scope="module")
def swedish(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return loaded_project(tmp_path_factory.mktemp("swedish"), "jems-partners", SWEDISH)


def test_a_real_interreg_partner_list_loads_every_row_with_the_publishers_spellings(swedish: Any) -> None:
    """`ISO`/`PO6` for ISO1 and `RSO6.x` for ISO6.x are this publisher's spellings (its table maps
    them); rows that give no objective keep their partners, the project just states none."""
    project, loaded = swedish
    rows = json.loads(SWEDISH.read_text(encoding="utf-8"))
    assert f"({len(rows)} rows read, {len(rows)} loaded, 0 merged, 0 rejected)" in loaded.stdout, loaded.stdout
    spelled = [r for r in rows if r["politisktmal"] in ("ISO", "PO6") or (r["specifiktmal"] or "").startswith("RSO6")]
    assert len(spelled) >= 10
    query = """SELECT DISTINCT ?code WHERE { ?p s3:specificObjective/skos:notation ?code ; s3:hasParticipation ?x
        FILTER(STRSTARTS(?code, "ISO")) }"""
    expected = {(r["specifiktmal"] or "").replace("RSO6", "ISO6") for r in spelled}
    assert {r["code"] for r in select(project, query)} == expected
    none = """SELECT (COUNT(*) AS ?n) WHERE { ?p a s3:Project FILTER(CONTAINS(STR(?p), "/project/jems-"))
        FILTER NOT EXISTS { ?p s3:specificObjective ?o } }"""
    assert int(select(project, none)[0]["n"]) == len({r["projektnamn"] for r in rows if r["specifiktmal"] is None})


# Each programme name of the Swedish file → the programme it must land on and the rule that finds it.
SWEDISH_PROGRAMMES = {
    "Interreg europe": ("2021TC16RFIR001", "title"),  # not Interreg Europe 2014-2020 (2014TC16RFIR001)
    "URBACT IV": ("2021TC16FFIR001", "title"),
    "AURORA": ("2021-2027-interreg-aurora", "other-name"),
    "Baltic Sea Region": ("2021-2027-interreg-baltic-sea-region", "other-name"),
    "South Baltic Programme": ("2021-2027-interreg-south-baltic", "other-name"),
    "Öresund-Kattegat-Skagerrak": ("2021-2027-interreg-oresund-kattegat-skagerrak", "other-name"),
}


def test_real_2021_2027_rows_attach_to_programmes_of_their_period_each_match_stating_its_rule(swedish: Any) -> None:
    """Every programme name of the file lands on the 2021-2027 programme of the programme table
    (data/reference/programmes-2021-2027.csv: CCI code where one is public, area), found by its
    title or one of its other names; the graph records each name once with its rule."""
    project, _ = swedish
    rows = json.loads(SWEDISH.read_text(encoding="utf-8"))
    assert {r["program"] for r in rows} == set(SWEDISH_PROGRAMMES)
    query = """SELECT ?name ?programme ?rule ?period (COUNT(DISTINCT ?project) AS ?projects) WHERE {
        ?m a s3:ProgrammeNameMatch ; s3:sourceName ?name ; s3:matchedProgramme ?programme ; s3:matchRule ?rule ;
           s3:programmingPeriod ?period .
        ?project s3:programme ?programme FILTER(CONTAINS(STR(?project), "/project/jems-")) }
        GROUP BY ?name ?programme ?rule ?period"""
    found = {r["name"]: (r["programme"].rsplit("/", 1)[-1], r["rule"], r["period"].rsplit("/", 1)[-1], int(r["projects"]))
             for r in select(project, query)}  # fmt: skip
    projects = Counter(name for name, _ in {(r["program"], r["projektnamn"]) for r in rows})
    expected = {name: (iri, rule, "2021-2027", projects[name]) for name, (iri, rule) in SWEDISH_PROGRAMMES.items()}
    assert found == expected
    periods = """SELECT DISTINCT ?period WHERE { ?p s3:programme/s3:programmingPeriod ?period
        FILTER(CONTAINS(STR(?p), "/project/jems-")) }"""
    assert [r["period"].rsplit("/", 1)[-1] for r in select(project, periods)] == ["2021-2027"]


def test_the_2021_2027_programme_table_gives_codes_and_areas(swedish: Any) -> None:
    """Spot checks against data/reference/programmes-2021-2027.csv's cells: a code, a title, an area."""
    project, _ = swedish
    table = {r["programme_title"]: r for r in csv.DictReader((PROJECT / "data/reference/programmes-2021-2027.csv").open())}
    query = """SELECT ?title ?cci (GROUP_CONCAT(?code; separator=" ") AS ?area) WHERE {
        ?p a s3:Programme ; rdfs:label ?title ; s3:programmingPeriod ?period FILTER(STRENDS(STR(?period), "/2021-2027"))
        FILTER(LANG(?title) = "en") OPTIONAL { ?p s3:cciCode ?cci } OPTIONAL { ?p s3:territory/skos:notation ?code } }
        GROUP BY ?title ?cci"""
    graph = {r["title"]: r for r in select(project, query)}
    for title in ("Interreg Europe", "Interreg Aurora", "Interreg VI-A Romania-Bulgaria", "Interreg Central Baltic"):
        assert graph[title].get("cci", "") == table[title]["cci"]
        assert sorted(graph[title].get("area", "").split()) == sorted(table[title]["territory"].split()), title
    assert len([t for t, r in table.items() if r["cci"]]) == len([t for t in graph if t in table and graph[t].get("cci")])


def test_a_partner_in_projects_of_several_regions_keeps_each_region(swedish: Any) -> None:
    project, _ = swedish
    query = """SELECT DISTINCT ?code WHERE {
        ?o rdfs:label "Linnéuniversitetet"@und . ?x s3:participant ?o ; s3:region/skos:notation ?code }"""
    assert {r["code"] for r in select(project, query)} == {"SE212", "SE213"}, "Kronobergs län and Kalmar län"


def test_a_programme_name_never_crosses_periods(tmp_path: Path) -> None:
    """keep.eu writes "Interreg Europe" for both generations: each row lands on its own period's
    programme (2014TC16RFIR001 or 2021TC16RFIR001), by the rule "title"."""
    spec = importlib.util.spec_from_file_location("make_workbook", PROJECT / "tests/golden/keep-eu/make_workbook.py")
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    book, DAY = Workbook(), datetime(2023, 1, 1)
    projects = book.create_sheet("Search results, projects")
    projects.append(PROJECT_COLUMNS)
    for period, ident, acronym in (("2014-2020", None, "OLDER"), ("2021-2027", "01C0001", "NEWER")):
        projects.append(maker.project("Interreg Europe", period, ident, acronym, acronym.title(), DAY, DAY, 1000, 800))
    book.create_sheet("Search results, partners").append(PARTNER_COLUMNS)
    project = new_project(tmp_path)
    book.save(project / "exports" / "keep.xlsx")
    loaded = s3kg(project, "load", "keep-eu", "exports/keep.xlsx")
    assert loaded.returncode == 0, loaded.stderr
    query = """SELECT ?acronym ?programme ?rule WHERE { ?p s3:acronym ?acronym ; s3:programme ?programme .
        ?m s3:matchedProgramme ?programme ; s3:matchRule ?rule ; s3:sourceName "Interreg Europe" }"""
    found = {(r["acronym"], r["programme"].rsplit("/", 1)[-1], r["rule"]) for r in select(project, query)}
    assert found == {("OLDER", "2014TC16RFIR001", "title"), ("NEWER", "2021TC16RFIR001", "title")}
