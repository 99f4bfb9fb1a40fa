// The query editor: syntax highlighting, examples, and results as a table. No external assets.
"use strict";
const query = document.getElementById("query");
const highlight = document.getElementById("highlight");
const examples = document.getElementById("examples");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");
const KEYWORDS = /^(SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE|PREFIX|BASE|FILTER|OPTIONAL|UNION|GRAPH|MINUS|BIND|VALUES|ORDER|BY|GROUP|HAVING|LIMIT|OFFSET|DISTINCT|REDUCED|AS|FROM|NAMED|NOT|EXISTS|IN|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT|LANG|STR|DATATYPE|CONTAINS|STRSTARTS|REGEX|DESC|ASC|a)$/i;
const TOKEN = /("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[?$]\w+|[A-Za-z_][\w-]*:[\w.-]*|[A-Za-z_]\w*|\s+|.)/g;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c]));
}

function paint() {
  const html = (query.value.match(TOKEN) || []).map(t => {
    const e = escapeHtml(t);
    if (t.startsWith("#")) return `<span class="cmt">${e}</span>`;
    if (t.startsWith("\"") || t.startsWith("'")) return `<span class="str">${e}</span>`;
    if (t.startsWith("<") && t.length > 1) return `<span class="iri">${e}</span>`;
    if (t.startsWith("?") || t.startsWith("$")) return `<span class="var">${e}</span>`;
    if (/^[A-Za-z_][\w-]*:/.test(t)) return `<span class="pn">${e}</span>`;
    if (KEYWORDS.test(t)) return `<span class="kw">${e}</span>`;
    return e;
  }).join("");
  highlight.innerHTML = html + "\n";
}

const downloadsLine = document.getElementById("downloads");
const GRAPH_FORM = /^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>|#[^\n]*)\s*)*(CONSTRUCT|DESCRIBE)\b/i;
const ROW_FORMATS = [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"], ["XML", "xml"]];
const GRAPH_FORMATS = [["Turtle", "text/turtle"], ["N-Triples", "application/n-triples"], ["JSON-LD", "application/ld+json"], ["RDF/XML", "application/rdf+xml"]];
const SHOWN = 1000;

function cell(term) {
  if (!term) return "";
  if (term.type === "uri") return `<a href="${escapeHtml(term.value)}">${escapeHtml(term.value)}</a>`;
  if (term.type === "bnode") return escapeHtml("_:" + term.value);
  const lang = term["xml:lang"] ? `<small>@${escapeHtml(term["xml:lang"])}</small>` : "";
  return escapeHtml(term.value) + lang;
}

// One N-Triples term: <iri>, _:label or a literal with its language or datatype
const NT_TERM = /^(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)\s*/;

function ntTerm(text) {
  if (text.startsWith("<")) return {type: "uri", value: text.slice(1, -1)};
  if (text.startsWith("_:")) return {type: "bnode", value: text.slice(2)};
  const end = text.lastIndexOf("\"");
  const value = JSON.parse(text.slice(0, end + 1));
  const rest = text.slice(end + 1);
  return rest.startsWith("@") ? {type: "literal", value, "xml:lang": rest.slice(1)} : {type: "literal", value};
}

function triples(text) {
  const rows = [];
  for (let line of text.split("\n")) {
    line = line.trim();
    if (!line || line.startsWith("#")) continue;
    const terms = [];
    while (terms.length < 3) {
      const found = NT_TERM.exec(line);
      if (!found) break;
      terms.push(ntTerm(found[1]));
      line = line.slice(found[0].length);
    }
    if (terms.length === 3) rows.push({subject: terms[0], predicate: terms[1], object: terms[2]});
  }
  return rows;
}

function table(vars, rows) {
  const head = vars.map(v => `<th scope="col">${escapeHtml(v)}</th>`).join("");
  const body = rows.slice(0, SHOWN).map(r => `<tr>${vars.map(v => `<td>${cell(r[v])}</td>`).join("")}</tr>`).join("");
  return `<table class="results"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function showDownloads(text, graph) {
  const links = (graph ? GRAPH_FORMATS : ROW_FORMATS).map(([name, format]) =>
    `<a href="/sparql?${new URLSearchParams({query: text, format})}">${escapeHtml(name)}</a>`);
  downloadsLine.innerHTML = "Download: " + links.join(" · ");
}

async function run(event) {
  event.preventDefault();
  const text = query.value;
  const graph = GRAPH_FORM.test(text);
  statusLine.textContent = "Running…";
  results.innerHTML = "";
  downloadsLine.innerHTML = "";
  const started = performance.now();
  const response = await fetch("/sparql", {
    method: "POST",
    headers: {"Content-Type": "application/sparql-query", "Accept": graph ? "application/n-triples" : "application/sparql-results+json"},
    body: text,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  history.replaceState(null, "", "/sparql?" + new URLSearchParams({query: text}));  // the address shares the query
  if (!response.ok) {
    statusLine.textContent = `Error ${response.status}: ${await response.text()}`;
    return;
  }
  showDownloads(text, graph);
  if (graph) {
    const rows = triples(await response.text());
    results.innerHTML = table(["subject", "predicate", "object"], rows);
    statusLine.textContent = `${rows.length} triple(s) in ${seconds} s` + (rows.length > SHOWN ? `; the first ${SHOWN} shown` : "");
    return;
  }
  const data = await response.json();
  if ("boolean" in data) {
    statusLine.textContent = `Answer: ${data.boolean} (${seconds} s)`;
    return;
  }
  const rows = data.results.bindings;
  results.innerHTML = (data.truncated ? `<p class="note">The result was cut at the row limit of ${data.rowLimit} rows.</p>` : "")
    + table(data.head.vars, rows);
  statusLine.textContent = `${rows.length} row(s) in ${seconds} s` + (rows.length > SHOWN ? `; the first ${SHOWN} shown` : "");
}

async function loadExamples() {
  const response = await fetch("/examples.json");
  if (!response.ok) return;
  for (const example of await response.json()) {
    const option = document.createElement("option");
    option.value = example.query;
    option.textContent = `${example.id}: ${example.question}`;
    examples.appendChild(option);
  }
}

query.addEventListener("input", paint);
query.addEventListener("scroll", () => { highlight.scrollTop = query.scrollTop; });
examples.addEventListener("change", () => { if (examples.value) { query.value = examples.value; paint(); } });
document.getElementById("form").addEventListener("submit", run);
paint();
loadExamples();
