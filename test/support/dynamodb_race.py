"""Reproduces moto's non-atomic conditional write deterministically, with or without the launcher's fix.

    python3 test/support/dynamodb_race.py [--without-fix]

8 threads put one key with `attribute_not_exists(#route)`, as 8 executions taking one route's
deployment lock at once. moto reads the current item, parses the condition, then writes: a thread
switch in between lets two writers pass the condition (AWS never allows that). The script widens
that window with a short sleep in the condition's parse, so the race happens every time without
the fix, and cannot happen with it (patch_dynamodb_atomic_writes).

Prints one JSON line: {"winners": n, "failed": m}.
"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "local"))
import moto_launcher  # noqa: E402

for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"]:
    del os.environ[key]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

if "--without-fix" not in sys.argv:
    moto_launcher.patch_dynamodb_atomic_writes()

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.dynamodb.exceptions import ConditionalCheckFailed  # noqa: E402
from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.dynamodb.models import table as table_module  # noqa: E402

parse = table_module.get_filter_expression


def slow_parse(*args, **kwargs):
    time.sleep(0.05)  # the window between reading the current item and writing the new one
    return parse(*args, **kwargs)


table_module.get_filter_expression = slow_parse

backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
backend.create_table(
    "locks",
    schema=[{"AttributeName": "route", "KeyType": "HASH"}],
    throughput=None,
    attr=[{"AttributeName": "route", "AttributeType": "S"}],
    global_indexes=None, indexes=None, streams=None, billing_mode="PAY_PER_REQUEST",
    sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None,
)

results = []
lock = threading.Lock()


def take(i: int) -> None:
    try:
        backend.put_item(
            "locks", {"route": {"S": "demomesh/product-vr/product-r"}, "executionId": {"S": f"e{i}"}},
            expected=None, condition_expression="attribute_not_exists(#route)",
            expression_attribute_names={"#route": "route"}, expression_attribute_values={},
        )
        outcome = "won"
    except ConditionalCheckFailed:
        outcome = "failed"
    with lock:
        results.append(outcome)


threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"winners": results.count("won"), "failed": results.count("failed")}))
