"""Runs moto's server with the fixes mesh-canary needs, patched in-process.

    python3 local/moto_launcher.py [--exit-with-stdin] -H 127.0.0.1 -p PORT

Every other argument goes to `moto.server.main()`. The patches target moto 5.2.1 (see
/work/shared/LOCAL-AWS.md): another version gets a warning, and a patch that no longer
applies prints a warning instead of stopping the server.

--exit-with-stdin: exit when stdin reaches EOF. local/aws.ts passes it and keeps the pipe
open, so moto dies with its parent even when the parent is killed with SIGKILL.
"""

import copy
import os
import re
import sys
import threading
from datetime import datetime
from uuid import uuid4

EXPECTED_MOTO = "5.2.1"
# The format moto's App Mesh models use for every createdAt / lastUpdatedAt.
APPMESH_TIME_FORMAT = "%d/%m/%Y, %H:%M:%S"
MESH_ARN_WITHOUT_PREFIX = re.compile(r"^(arn:aws[a-z-]*:appmesh:[^:]*:[0-9]*:)([^/]+)$")


def warn(message: str) -> None:
    print(f"moto_launcher: WARNING: {message}", file=sys.stderr, flush=True)


class EpochDatetime(datetime):
    """A datetime that renders moto's App Mesh time format as epoch seconds.

    moto writes `metadata.created_at.strftime("%d/%m/%Y, %H:%M:%S")` into about a dozen
    responses; the JS SDK expects a number there and throws `Expected real number, got
    implicit NaN`. Overriding strftime for that one format fixes all call sites at once.
    """

    def strftime(self, fmt):  # type: ignore[override]
        if fmt == APPMESH_TIME_FORMAT:
            return round(self.timestamp(), 3)
        return super().strftime(fmt)


def patch_appmesh() -> None:
    from moto.appmesh.dataclasses import shared
    from moto.appmesh.dataclasses.route import RouteMetadata
    from moto.appmesh.dataclasses.virtual_node import VirtualNodeMetadata

    # The dataclass defaults `datetime.now()` and `uuid4().hex` were evaluated once at
    # import, so every resource shared one uid and one creation time: fill them per call.
    for cls in (shared.Metadata, RouteMetadata, VirtualNodeMetadata):
        original_init = cls.__init__

        def init(self, *args, _original_init=original_init, **kwargs):
            now = EpochDatetime.now()
            kwargs.setdefault("created_at", now)
            kwargs.setdefault("last_updated_at", now)
            kwargs.setdefault("uid", uuid4().hex)
            # Mesh ARNs came out as "...:123456789012:NAME"; AWS's are "...:mesh/NAME".
            if isinstance(kwargs.get("arn"), str):
                kwargs["arn"] = MESH_ARN_WITHOUT_PREFIX.sub(r"\1mesh/\2", kwargs["arn"])
            _original_init(self, *args, **kwargs)

        cls.__init__ = init

    def update_timestamp(self) -> None:
        self.last_updated_at = EpochDatetime.now()

    shared.Metadata.update_timestamp = update_timestamp


def patch_stepfunctions() -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions import models, responses
    from moto.stepfunctions.parser import api

    # Without the interpreter, executions stay RUNNING forever.
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True

    # moto #10077 (fixed upstream by #10093): StartExecution deep-copies the state machine,
    # which drags along its backend (with an RLock) and the live executions, so the second
    # StartExecution in a region fails with "cannot pickle '_thread.RLock'".
    def state_machine_deepcopy(self, memo):
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key == "backend":
                clone.backend = value
            elif key == "executions":
                clone.executions = []
            else:
                setattr(clone, key, copy.deepcopy(value, memo))
        return clone

    models.StateMachineInstance.__deepcopy__ = state_machine_deepcopy

    # The parser's exceptions carry their name in `code` but moto serialises `TYPE`, so they
    # reached clients as {"__type": null} (the JS SDK then fails on a null name).
    for value in vars(api).values():
        if (isinstance(value, type) and issubclass(value, api.ServiceException)
                and value is not api.ServiceException
                and isinstance(vars(value).get("code"), str) and not value.TYPE):
            value.TYPE = value.code

    # SendTaskFailure dropped `cause` before it reached the backend (which accepts it).
    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return responses.EmptyResult()

    responses.StepFunctionResponse.send_task_failure = send_task_failure


def exit_with_stdin() -> None:
    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="exit-with-stdin", daemon=True).start()


def main() -> None:
    import moto
    from moto import server

    if moto.__version__ != EXPECTED_MOTO:
        warn(f"moto {moto.__version__} is installed but these patches were written for "
             f"moto {EXPECTED_MOTO}; install it with: python3 -m pip install \"moto[server]=={EXPECTED_MOTO}\"")
    for patch in (patch_appmesh, patch_stepfunctions):
        try:
            patch()
        except Exception as error:  # a changed moto must not stop the server from starting
            warn(f"{patch.__name__} failed ({type(error).__name__}: {error}); continuing without it")

    # moto's own SIGINT/SIGTERM handler calls sys.exit(), which waits for the threads of
    # running executions (a Wait state can hold it for minutes): a local server has nothing
    # to flush, so stop at once.
    server.signal_handler = lambda *_: os._exit(0)

    args = sys.argv[1:]
    if "--exit-with-stdin" in args:
        args.remove("--exit-with-stdin")
        exit_with_stdin()
    server.main(args)


if __name__ == "__main__":
    main()
