"""Reproduces moto's stopped-branch bug deterministically, with or without the launcher's fix.

    python3 test/support/stopped_branch.py [--without-fix]

A Parallel state whose first branch fails while its second branch is about to schedule a task
(held there by a hook until the branch has been stopped, which on a busy machine happens by
chance: the manual-approval machine's approval ends one branch while the other starts its
health check). moto then recorded a TaskScheduled event whose timeoutInSeconds is the state's
whole input, and every GetExecutionHistory of the execution failed in moto's serializer.

Prints one JSON line: {"history": "ok"|"error", "error": ..., "scheduledSlow": n, "status": ...}.
Runs moto in-process (no server, no Docker): the task's Lambda call fails, which does not matter
here; what matters is what the history records before it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "local"))
import moto_launcher  # noqa: E402

# In-process moto only: nothing may send these calls to a local AWS named in the environment.
for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"]:
    del os.environ[key]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

without_fix = "--without-fix" in sys.argv
patches = [moto_launcher.patch_stepfunctions, moto_launcher.patch_stepfunctions_clients,
           moto_launcher.patch_stepfunctions_component_names]
if not without_fix:
    patches.append(moto_launcher.patch_stepfunctions_stopped_branch)
for patch in patches:
    patch()

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (  # noqa: E402
    StateTaskService,
)

# Hold the task "Slow" right before it is scheduled until its branch has been stopped.
original_credentials = StateTaskService._eval_state_credentials


def held_credentials(self, env):
    if self.name == "Slow":
        deadline = time.time() + 10
        while env.is_running() and time.time() < deadline:
            time.sleep(0.01)
    return original_credentials(self, env)


StateTaskService._eval_state_credentials = held_credentials

definition = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "End": True,
            "Branches": [
                {"StartAt": "Later", "States": {
                    "Later": {"Type": "Wait", "Seconds": 1, "Next": "Approved"},
                    "Approved": {"Type": "Fail", "Error": "Approved", "Cause": "approved"},
                }},
                {"StartAt": "Slow", "States": {
                    "Slow": {
                        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Check", "Payload.$": "$"},
                        "TimeoutSeconds": 60, "End": True,
                    },
                }},
            ],
        }
    },
}

with mock_aws():
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name="stopped-branch", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/local"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="x", input=json.dumps({"deployment": {"a": 1}}))["executionArn"]
    deadline = time.time() + 20
    status = "RUNNING"
    while status == "RUNNING" and time.time() < deadline:
        time.sleep(0.1)
        status = sfn.describe_execution(executionArn=execution)["status"]
    time.sleep(0.5)  # the stopped branch's thread finishes what it was doing
    result = {"status": status}
    try:
        events = sfn.get_execution_history(executionArn=execution)["events"]
        result["history"] = "ok"
        result["scheduledSlow"] = sum(
            1 for e in events if e["type"] == "TaskScheduled" and "Check" in e["taskScheduledEventDetails"]["parameters"]
        )
    except Exception as error:  # moto's serializer fails inside the mocked call
        result["history"] = "error"
        result["error"] = f"{type(error).__name__}: {error}"[:300]
    print(json.dumps(result), flush=True)
    os._exit(0)  # the stopped branch's threads are daemons; do not wait for them
