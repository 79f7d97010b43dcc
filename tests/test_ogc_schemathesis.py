"""Schemathesis, an independent fuzzer, against both OGC API OpenAPI documents (``/ogc/api``
for officials, ``/public/ogc/api``) as the app serves them: for every operation it sends
requests that fit the document and requests that break it, and checks each answer against the
document. Any 5xx, undeclared status or content type, answer that breaks its declared schema,
or request that breaks the document yet is answered 2xx is a failure. The JSON API under
``/api`` has no OpenAPI document, so it is not fuzzed here.

Seeded (derandomized), so a run is repeatable: a failure prints a curl line that reproduces it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from geoapp import create_app
from tests.accounts import bearer, provision
from tests.fixtures import settings_for

# Examples per operation and mode. Items take some 60 parameters; the other resources take
# one or none, so a few examples exhaust them. About 650 requests in all, 12 s of CPU.
EXAMPLES = {"items": 25, "{featureId}": 8}
# Left out, and only this one: that every schema-valid request is answered 2xx. A string
# parameter such as `filter` (CQL2) or `datetime` has a grammar JSON Schema cannot state, so a
# random string that fits the document is still, rightly, a 400.
EXCLUDED = [positive_data_acceptance]


@pytest.mark.parametrize("document", ["/ogc/api", "/public/ogc/api"])
def test_schemathesis_finds_nothing_wrong_with_the_ogc_api(gpkg, document):
    app = create_app(settings_for(gpkg))
    auth = bearer(provision(app.extensions["geoapp"].store))  # an admin's token; unused by /public
    schema = schemathesis.openapi.from_wsgi(document, app, headers=auth)
    failures: dict[tuple, str] = {}
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        examples = EXAMPLES.get(operation.path.rsplit("/", 1)[-1], 5)
        modes = [GenerationMode.POSITIVE]
        if operation.query or operation.path_parameters:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                nonlocal cases
                cases += 1
                try:
                    case.call_and_validate(headers=auth, excluded_checks=EXCLUDED)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = (case.operation.label, failure.title, failure.message.split("\n")[0])
                        failures.setdefault(key, str(group))

            check()
    assert not failures, "\n\n".join(failures.values())
    assert cases > 250  # the document was read and fuzzed, not skipped
