# Python functions the YARRRML mapping calls (morph-kgc user-defined functions). morph-kgc runs
# this file with the `udf` decorator defined; it is not imported by s3kg.
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

if "udf" not in globals():  # morph-kgc defines `udf` before it runs this file; imported alone, a no-op

    def udf(fun_id: str, **params: str) -> Callable[[Any], Any]:
        return lambda function: function


BASE = "https://w3id.org/s3kg/id/"
FRAMEWORKS = {"H2020": ("Horizon 2020", "2014-2020"), "HORIZON": ("Horizon Europe", "2021-2027")}


def _slug(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "-", plain.lower()).strip("-") or quote(text, safe="")


@udf(fun_id="https://w3id.org/s3kg/bench/udf#canonicalDecimal", amount="https://w3id.org/s3kg/bench/udf#amount")
def canonical_decimal(amount: str) -> str:
    value = Decimal(amount.strip().replace(",", "."))
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


@udf(fun_id="https://w3id.org/s3kg/bench/udf#topicConcepts", topics="https://w3id.org/s3kg/bench/udf#topics")
def topic_concepts(topics: str) -> list[str]:
    return [f"{BASE}concept/cordis-topics/{quote(_slug(t.strip()), safe='')}" for t in topics.split(";") if t.strip()]


@udf(fun_id="https://w3id.org/s3kg/bench/udf#topicLabels", topics="https://w3id.org/s3kg/bench/udf#topics")
def topic_labels(topics: str) -> list[str]:
    return [t.strip() for t in topics.split(";") if t.strip()]


@udf(fun_id="https://w3id.org/s3kg/bench/udf#frameworkLabel", code="https://w3id.org/s3kg/bench/udf#code")
def framework_label(code: str) -> str:
    return FRAMEWORKS[code][0]


@udf(fun_id="https://w3id.org/s3kg/bench/udf#frameworkPeriod", code="https://w3id.org/s3kg/bench/udf#code")
def framework_period(code: str) -> str:
    return f"{BASE}concept/programming-periods/{FRAMEWORKS[code][1]}"
