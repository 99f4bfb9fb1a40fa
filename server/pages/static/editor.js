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

function cell(term) {
  if (!term) return "";
  if (term.type === "uri") return `<a href="${escapeHtml(term.value)}">${escapeHtml(term.value)}</a>`;
  const lang = term["xml:lang"] ? `<small>@${escapeHtml(term["xml:lang"])}</small>` : "";
  return escapeHtml(term.value) + lang;
}

async function run(event) {
  event.preventDefault();
  statusLine.textContent = "Running…";
  results.innerHTML = "";
  const started = performance.now();
  const response = await fetch("/sparql", {
    method: "POST",
    headers: {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    body: query.value,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (!response.ok) {
    statusLine.textContent = `Error ${response.status}: ${await response.text()}`;
    return;
  }
  const data = await response.json();
  if ("boolean" in data) {
    statusLine.textContent = `Answer: ${data.boolean} (${seconds} s)`;
    return;
  }
  const vars = data.head.vars;
  const rows = data.results.bindings;
  const head = vars.map(v => `<th scope="col">${escapeHtml(v)}</th>`).join("");
  const body = rows.map(r => `<tr>${vars.map(v => `<td>${cell(r[v])}</td>`).join("")}</tr>`).join("");
  results.innerHTML = (data.truncated ? `<p class="note">The result was cut at the row limit of ${data.rowLimit} rows.</p>` : "")
    + `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  statusLine.textContent = `${rows.length} row(s) in ${seconds} s`;
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
