"""Shows in which order moto's interpreter records an ended execution, with or without the launcher's fix.

    python3 test/support/end_order.py [--without-fix]

Runs moto's own _reflect_execution_status on a recording stand-in for an execution that ended
with an output, and one that failed with an error and cause: a DescribeExecution answered between
two of those assignments shows what was assigned so far. AWS shows an ended execution's result
with its status; moto 5.2.1 assigns the status first (patch_stepfunctions_end_order).

Prints one JSON line: {"succeeded": [attributes in order], "failed": [...]}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "local"))
import moto_launcher  # noqa: E402

if "--without-fix" not in sys.argv:
    moto_launcher.patch_stepfunctions_end_order()

from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError  # noqa: E402
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication  # noqa: E402


class Recording:
    """An execution that remembers the order its result attributes were assigned in."""

    def __init__(self) -> None:
        object.__setattr__(self, "order", [])

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("exec_status", "output", "error", "cause"):
            self.order.append(name)
        object.__setattr__(self, name, value)


def ended_with(state: object) -> list:
    execution = Recording()
    env = type("Env", (), {"program_state": lambda self: state, "states": type("S", (), {"get_input": lambda self: "{}"})()})()
    execution.exec_worker = type("Worker", (), {"env": env})()
    communication = BaseExecutionWorkerCommunication.__new__(BaseExecutionWorkerCommunication)
    communication.execution = execution
    communication._reflect_execution_status()
    return execution.order


failed = ProgramError.__new__(ProgramError)
failed.error = {"error": "CanaryRolledBack", "cause": "why"}
print(json.dumps({"succeeded": ended_with(ProgramEnded()), "failed": ended_with(failed)}))
