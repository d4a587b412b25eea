"""Runs moto's server with the fixes mesh-canary needs, patched in-process.

    python3 local/moto_launcher.py [--exit-with-stdin] -H 127.0.0.1 -p PORT

Every other argument goes to `moto.server.main()`. The patches target moto 5.2.1 (see
/work/shared/LOCAL-AWS.md): another version gets a warning, and a patch that no longer
applies prints a warning instead of stopping the server. Each patch function says what it
fixes: App Mesh metadata the JS SDK can read; Step Functions executions that start, fail
with named errors and keep SendTaskFailure's cause; a stopped Parallel branch that recorded
a TaskScheduled event the serializer could not write (GetExecutionHistory answered 500);
the interpreter's speed (clients, JSONPath and definitions parsed once, not per use); and
DynamoDB conditional writes and transactions that are atomic, as in AWS (the deployment lock
depends on it), and an empty TransactWriteItems refused as AWS refuses it. And the service
events EventBridge delivers on AWS: alarm state changes and execution status changes go through
moto's rules, and a rule's Lambda target is invoked asynchronously through the local front
(MESH_CANARY_EVENTS=0: neither; StopExecution's error and cause are kept either way).

--exit-with-stdin: exit when stdin reaches EOF. local/aws.ts passes it and keeps the pipe
open, so moto dies with its parent even when the parent is killed with SIGKILL.
"""

import copy
import json
import os
import re
import sys
import threading
from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

EXPECTED_MOTO = "5.2.1"
# The format moto's App Mesh models use for every createdAt / lastUpdatedAt.
APPMESH_TIME_FORMAT = "%d/%m/%Y, %H:%M:%S"
MESH_ARN_WITHOUT_PREFIX = re.compile(r"^(arn:aws[a-z-]*:appmesh:[^:]*:[0-9]*:)([^/]+)$")
ARN_ACCOUNT = re.compile(r"^arn:[^:]+:appmesh:[^:]*:([0-9]{12}):")
ACCOUNT_ID = re.compile(r"[0-9]{12}")


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


def serialized(lock):
    """A decorator that runs a backend method under `lock`: one check-then-write at a time, as AWS applies them."""
    def atomic(fn):
        def wrapper(*args, **kwargs):
            with lock:
                return fn(*args, **kwargs)
        wrapper.__name__ = fn.__name__
        return wrapper
    return atomic


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
                # meshOwner and resourceOwner are AWS account IDs; moto put the caller's user id
                # there, so a request naming the mesh's own account as meshOwner was refused
                # (MeshOwnerDoesNotMatch). The account is the one in the resource's ARN.
                account = ARN_ACCOUNT.match(kwargs["arn"])
                for key in ("mesh_owner", "resource_owner"):
                    if account and key in kwargs and not ACCOUNT_ID.fullmatch(str(kwargs[key] or "")):
                        kwargs[key] = account.group(1)
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


def patch_stepfunctions_stopped_branch() -> None:
    """A stopped branch or execution must not record a TaskScheduled event with garbage in it.

    The cause of the 500s on GetExecutionHistory (`TypeError: int() argument must be ... not
    'dict'` in moto's serializer) after an approval: the approval ends the manual-approval
    machine's Parallel, which stops its other branch. When that branch is just starting a task
    (MonitorCheck), its thread goes on into `_before_eval_execution`, where moto evaluates the
    task's TimeoutSeconds and pops the result off the stack. But every component's `eval` does
    nothing once its environment is no longer running, so nothing was pushed, the pop takes the
    state's input instead, and the TaskScheduled event is recorded with that whole input (a
    dict) as `timeoutInSeconds`. From then on every GetExecutionHistory of the execution fails
    (the event is stored), so a watcher dies. A race: it needs the stop to land between the
    branch entering the task and scheduling it (about one demo run in six on a busy machine).

    In AWS a stopped branch schedules no new task. So: schedule (record) nothing once the
    environment has stopped, and take the timeout and heartbeat only when their evaluation
    really pushed a value. Everything else is moto's method as it is: unlike AWS, the stopped
    branch may still invoke its Lambda afterwards, now without a TaskScheduled record (the guard
    and abort then time that step from the state's entry, which still covers it).
    """
    from moto.stepfunctions.parser.api import (
        HistoryEventType,
        TaskCredentials,
        TaskScheduledEventDetails,
        TaskStartedEventDetails,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    if not hasattr(StateTaskService, "_before_eval_execution"):
        raise RuntimeError("StateTaskService._before_eval_execution is gone")

    stopped = object()

    def evaluated(env, component):
        depth = len(env.stack)
        component.eval(env=env)
        if len(env.stack) <= depth or not env.is_running():
            # Pruned (or possibly pruned) because the environment stopped meanwhile.
            return stopped
        return env.stack.pop()

    def before_eval_execution(self, env, resource_runtime_part, raw_parameters, state_credentials) -> None:
        if not env.is_running():
            return
        scheduled_event_details = TaskScheduledEventDetails(
            resource=self._get_sfn_resource(),
            resourceType=self._get_sfn_resource_type(),
            region=resource_runtime_part.region,
            parameters=to_json_str(raw_parameters),
        )
        if not self.timeout.is_default_value():
            timeout_seconds = evaluated(env, self.timeout)
            if timeout_seconds is stopped:
                return
            scheduled_event_details["timeoutInSeconds"] = timeout_seconds
        if self.heartbeat is not None:
            heartbeat_seconds = evaluated(env, self.heartbeat)
            if heartbeat_seconds is stopped:
                return
            scheduled_event_details["heartbeatInSeconds"] = heartbeat_seconds
        if self.credentials:
            scheduled_event_details["taskCredentials"] = TaskCredentials(roleArn=state_credentials.role_arn)
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.TaskScheduled,
            event_details=EventDetails(taskScheduledEventDetails=scheduled_event_details),
        )
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.TaskStarted,
            event_details=EventDetails(
                taskStartedEventDetails=TaskStartedEventDetails(
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

    StateTaskService._before_eval_execution = before_eval_execution


def patch_stepfunctions_clients() -> None:
    """One boto3 client per (service, region, endpoint) for the interpreter's tasks.

    moto's interpreter calls `boto_client_for` for every Lambda task (and every other service
    integration), and building a boto3 client costs about 0.1 s of CPU (loading and parsing
    the service model): most of an execution's CPU, all under the GIL, so executions running
    together queue behind each other. The clients it builds differ only in service, region and
    endpoint (the credentials are always the dummy "ak"/"sk"), and a boto3 client is
    thread-safe once built, but building one is not (the default session's loaders): build
    each once, under a lock.
    """
    import boto3
    from botocore.config import Config

    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    clients: dict = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials=None):
        # As moto's: in server mode the calls go over HTTP to MOTO_PORT (the Lambda front).
        endpoint_url = None if botocore_stubber.enabled else f"http://localhost:{moto_server_port()}"
        key = (service, region, endpoint_url)
        client = clients.get(key)
        if client is None:
            with lock:
                client = clients.get(key)
                if client is None:
                    client = boto3.client(
                        aws_access_key_id="ak",
                        region_name=region,
                        service_name=service,
                        aws_secret_access_key="sk",
                        config=Config(
                            parameter_validation=False,
                            retries={"max_attempts": 0, "total_max_attempts": 1},
                            connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                            read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                            # Executions running together share the client: let each have a connection.
                            max_pool_connections=64,
                        ),
                        **({"endpoint_url": endpoint_url} if endpoint_url else {}),
                    )
                    clients[key] = client
        return client

    boto_client.boto_client_for = boto_client_for
    # The task modules import the function by name: those loaded later get this one; rebind
    # it in any already loaded.
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    if lambda_eval_utils.boto_client_for is not boto_client_for:
        raise RuntimeError("lambda_eval_utils does not use the cached boto_client_for")


def patch_stepfunctions_jsonpath() -> None:
    """Parse each JSONPath of a definition once, not on every evaluation.

    moto's interpreter calls jsonpath_ng's `parse(path)` for every InputPath, Parameters
    field ending in `.$`, ResultSelector, ResultPath and OutputPath it evaluates, and
    jsonpath_ng builds a new PLY parser for each call (it regenerates the LALR tables and
    reads its own source with `inspect`): a few milliseconds each, and most of the CPU an
    execution costs. A parsed expression is immutable (`find` and `update_or_create` change
    the data, not the expression), so one per path string serves every execution.
    """
    from functools import lru_cache

    import jsonpath_ng
    import jsonpath_ng.ext
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    if json_path.parse is not jsonpath_ng.ext.parse or result_path.parse is not jsonpath_ng.parse:
        raise RuntimeError("moto's interpreter no longer calls jsonpath_ng's parse where expected")
    json_path.parse = lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)
    result_path.parse = lru_cache(maxsize=4096)(jsonpath_ng.parse)


def patch_stepfunctions_program() -> None:
    """Parse a state machine's definition once, not at the start of every execution.

    Each execution worker runs the ANTLR parser over the definition again (about 0.1 s of CPU
    for the linear machine). The parsed program is a tree of components that keep no
    per-execution state: everything an execution changes lives in its Environment (its
    `heap` is keyed by each component's `heap_key`). So executions of one definition can
    share one program. `heap_key` is drawn lazily on first use; draw it under a lock so that
    two executions starting together cannot give one component two keys.
    """
    from functools import lru_cache

    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.utils import long_uid

    if not isinstance(vars(EvalComponent).get("heap_key"), property):
        raise RuntimeError("EvalComponent.heap_key is no longer a property")
    key_lock = threading.Lock()
    private = "_EvalComponent__heap_key"

    def heap_key(self) -> str:
        key = self.__dict__.get(private)
        if key is None:
            with key_lock:
                key = self.__dict__.get(private)
                if key is None:
                    key = long_uid()
                    setattr(self, private, key)
        return key

    EvalComponent.heap_key = property(heap_key)

    @lru_cache(maxsize=256)
    def program_for(definition: str):
        return AmazonStateLanguageParser.parse(definition)[0]

    def get_evaluation_entrypoint(self):
        return program_for(self._evaluation_details.state_machine_details.definition)

    ExecutionWorker._get_evaluation_entrypoint = get_evaluation_entrypoint


def patch_stepfunctions_component_names() -> None:
    """Name an interpreter component by its class and state name, not by its whole subtree.

    moto's components print as `(Class| {every attribute, recursively})`: the whole program.
    The interpreter logs that at ERROR on every level a failure passes through (a Catch'd
    Lambda error, each Parallel branch that ends by failing on purpose) and names each
    Parallel branch's thread with it, so every manual-approval execution wrote some 100 KB
    of program dumps to .local-aws/moto.log and spent CPU rendering them.
    """
    from moto.stepfunctions.parser.asl.component.component import Component

    def component_str(self) -> str:
        name = getattr(self, "name", None)
        return f"({type(self).__name__}{' ' + name if isinstance(name, str) else ''})"

    Component.__str__ = component_str
    Component.__repr__ = component_str


def patch_stepfunctions_end_order() -> None:
    """An ended execution's output (or error and cause) before its status, as AWS shows them.

    moto 5.2.1 sets exec_status first (stepfunctions/parser/backend/execution.py,
    _reflect_execution_status), then the output, or the error and cause: a DescribeExecution
    answered in between shows SUCCEEDED with no output, or FAILED with no error. AWS never
    does, and a client that reads the result once the status says it ended (mesh-canary watch,
    the tests) saw nothing.
    """
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError, ProgramStopped, ProgramTimedOut
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    def reflect(self) -> None:
        state = self.execution.exec_worker.env.program_state()
        self.execution.stop_date = datetime.now(tz=timezone.utc)
        if isinstance(state, ProgramEnded):
            self.execution.output = self.execution.exec_worker.env.states.get_input()
            self.execution.exec_status = ExecutionStatus.SUCCEEDED
        elif isinstance(state, ProgramStopped):
            # StopExecution's error and cause (patch_stepfunctions_stop_cause), as AWS shows them.
            self.execution.error = state.error or None
            self.execution.cause = state.cause or None
            self.execution.exec_status = ExecutionStatus.ABORTED
        elif isinstance(state, ProgramError):
            self.execution.error = state.error.get("error")
            self.execution.cause = state.error.get("cause")
            self.execution.exec_status = ExecutionStatus.FAILED
        elif isinstance(state, ProgramTimedOut):
            self.execution.exec_status = ExecutionStatus.TIMED_OUT
        else:
            raise RuntimeWarning(f"Execution ended with unsupported ProgramState type '{type(state)}'.")

    BaseExecutionWorkerCommunication._reflect_execution_status = reflect


def patch_stepfunctions_stop_wakes_waiting_tasks() -> None:
    """StopExecution ends a task that waits for its token (.waitForTaskToken), as AWS does.

    In moto 5.2.1 such a task waits on its callback endpoint until its timeout, deaf to the stop:
    an execution stopped during the manual-approval machine's approval wait stayed RUNNING for
    as long as approvalTimeoutSeconds (an hour, in the tests' inputs), and no ABORTED event went
    out. AWS ends it at once. So a stop also wakes every task of the execution that waits for a
    token; its state then sees the stopped environment and ends like any other.

    A woken task ends in moto's timeout path, whose error reached the environment: moto's
    set_error replaces any program state, so the stopped execution ended FAILED (States.Runtime).
    On AWS a stopped execution stays ABORTED whatever its running steps do: an error or a
    timeout after the stop changes nothing.
    """
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.stop
    set_error, set_timed_out = Environment.set_error, Environment.set_timed_out

    def error_unless_stopped(self, error) -> None:
        if not isinstance(self._program_state, ProgramStopped):
            set_error(self, error)

    def timed_out_unless_stopped(self) -> None:
        if not isinstance(self._program_state, ProgramStopped):
            set_timed_out(self)

    Environment.set_error = error_unless_stopped
    Environment.set_timed_out = timed_out_unless_stopped

    def stop(self, stop_date, error, cause):
        original(self, stop_date=stop_date, error=error, cause=cause)
        env = getattr(getattr(self, "exec_worker", None), "env", None)
        pool = getattr(getattr(env, "callback_pool_manager", None), "_pool", None)
        if pool is None:
            return
        for endpoint in list(pool.values()):
            endpoint.interrupt_all()

    Execution.stop = stop


def patch_dynamodb_atomic_writes() -> None:
    """DynamoDB applies a conditional write atomically; moto's server runs requests on threads and
    checks the condition, then writes, with nothing between. Two executions taking one route's lock
    at the same moment could both pass `attribute_not_exists`, which AWS never allows. A
    TransactWriteItems (the multi-route lock) is worse: moto checks and writes its items one by one
    and undoes a cancelled one by putting back a copy of every table it touched, taken at its start,
    so two transactions over one route could both win, and a rollback erases the writes that landed
    meanwhile (test/integration/local-transactions.test.ts shows both without this patch). One lock
    around the item operations makes each condition-and-write, and each transaction, atomic and
    serializable, as in AWS."""
    from moto.dynamodb.models import DynamoDBBackend

    atomic = serialized(threading.RLock())

    for name in ("put_item", "get_item", "update_item", "delete_item", "transact_write_items", "transact_get_items"):
        setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))


def patch_dynamodb_transactions() -> None:
    """TransactWriteItems with no items: AWS refuses it with a ValidationException (botocore's
    dynamodb model: TransactWriteItemList has min 1), as it refuses more than 100; moto 5.2.1 checks
    only the maximum and answers an empty transaction with 200. A multi-route lock built from an
    empty list of routes would pass locally and fail on AWS."""
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    transact_write_items = DynamoDBBackend.transact_write_items

    def checked(self, transact_items, *args, **kwargs):
        if not transact_items:
            raise MockValidationException(
                "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1")
        return transact_write_items(self, transact_items, *args, **kwargs)

    checked.__name__ = transact_write_items.__name__
    DynamoDBBackend.transact_write_items = checked


def patch_server_dispatch() -> None:
    """List moto's service folders once, not on every request.

    moto's server picks the backend of each request under one global lock, and on the way
    asks `list_of_moto_modules()`, which lists moto's package folder and stats each of its
    ~200 entries. Every request (each poll, each Lambda call) queued behind that; the folder
    does not change while the server runs.
    """
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


# ----------------------------------------------------------------------------------- EventBridge
#
# On AWS, CloudWatch and Step Functions put service events on the account's default event bus,
# and EventBridge invokes the targets of the rules they match. moto 5.2.1 has EventBridge (rules,
# targets, pattern matching) but no service emits anything into it, and a Lambda target raises
# NotImplementedError. These patches make the services emit, through moto's own rules and
# matching, and deliver Lambda targets to the local front as asynchronous invocations.

# EventBridge's envelope time, "2019-10-02T17:04:40Z".
EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def note(message: str) -> None:
    print(f"moto_launcher: {message}", file=sys.stderr, flush=True)


def event_time(value: Any) -> Any:
    """moto keeps an event's time as epoch seconds until a target needs it; EventBridge delivers this string."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc).strftime(EVENT_TIME_FORMAT)
    return value


def emit_event(account_id: str, region: str, source: str, detail_type: str, resources: list, detail: dict) -> None:
    """Puts one service event on the default bus of account_id/region, as the service would on AWS:
    moto's rules and pattern matching pick the targets. Never raises: on AWS the event is delivered
    after, and apart from, the API call that caused it, which must not fail because of it."""
    try:
        from moto.events.models import events_backends

        event = {
            "version": "0",
            "id": str(uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": account_id,
            # Epoch seconds, as moto's own events carry it: its SQS and log targets format it.
            "time": datetime.now(tz=timezone.utc).timestamp(),
            "region": region,
            "resources": resources,
            "detail": detail,
        }
        bus = events_backends[account_id][region].event_buses.get("default")
        for rule in list(bus.rules.values()) if bus else []:
            if rule.state == "ENABLED":
                rule.send_to_targets(event)
    except Exception as error:  # noqa: BLE001 - see the docstring
        note(f"event {source} {detail_type!r} not delivered: {type(error).__name__}: {error}")


def invoke_async(function_arn: str, payload: dict) -> None:
    """POST an Event (asynchronous) Invoke to the local front (MOTO_PORT), on a daemon thread: the
    request that caused the event neither waits for it nor fails with it, as on AWS."""
    import urllib.parse
    import urllib.request

    port = os.environ.get("MOTO_PORT")
    if not port:
        note(f"no MOTO_PORT: cannot invoke {function_arn}")
        return
    url = f"http://localhost:{port}/2015-03-31/functions/{urllib.parse.quote(function_arn, safe='')}/invocations"

    def send() -> None:
        request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except Exception as error:  # noqa: BLE001 - logged; EventBridge's own retries are not modelled
            note(f"invoking {function_arn} for event {payload.get('id')} failed: {error}")

    threading.Thread(target=send, name="eventbridge-lambda-target", daemon=True).start()


def events_on() -> bool:
    """local/aws.ts `events: false` sets MESH_CANARY_EVENTS=0."""
    return os.environ.get("MESH_CANARY_EVENTS", "1") != "0"


def patch_events_targets() -> None:
    """Rule targets as EventBridge delivers them.

    - A Lambda target (moto: NotImplementedError) becomes an asynchronous Invoke of the local front;
      with events off (events_on()) it is dropped, with a log line.
    - A target with no InputTransformer gets the whole event, as on AWS (moto's default template
      drops `account` and adds nothing AWS sends); an InputTransformer still goes through moto.
    """
    from moto.events.models import Rule
    from moto.events.utils import EventTemplateParser

    send_to_targets = Rule.send_to_targets
    deliver = events_on()

    def patched(self, original_event, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        for target in list(self.targets):
            transformer = target.get("InputTransformer") if transform_input else None
            if target["Arn"].split(":")[2:3] == ["lambda"]:
                if not deliver:
                    note(f"events off: rule {self.name} does not invoke {target['Arn']}")
                    continue
                if transformer:
                    payload = EventTemplateParser.parse(
                        input_template=transformer.get("InputTemplate"),
                        input_paths_map=transformer.get("InputPathsMap", {}),
                        event={**original_event, "time": event_time(original_event.get("time"))})
                elif "Input" in target:
                    payload = json.loads(target["Input"])
                else:
                    payload = {k: v for k, v in original_event.items() if k != "ingestion-time"}
                    payload["time"] = event_time(payload.get("time"))
                invoke_async(target["Arn"], payload)
                continue
            one = copy.copy(self)
            one.targets = [target]
            event = {k: v for k, v in original_event.items() if k != "ingestion-time"}
            send_to_targets(one, event, transform_input=bool(transformer))

    Rule.send_to_targets = patched


def alarm_timestamp(value: datetime) -> str:
    """CloudWatch's timestamp in alarm events: "2019-10-02T17:04:40.985+0000" (UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def alarm_metrics(alarm: Any) -> list:
    """configuration.metrics of an alarm event: the alarm's metric, or its metric data queries."""
    def metric_stat(namespace: Any, name: Any, dimensions: Any, period: Any, stat: Any) -> dict:
        return {
            "metric": {"namespace": namespace, "name": name, "dimensions": {d.name: d.value for d in dimensions or []}},
            "period": int(period) if period is not None else None,
            "stat": stat,
        }

    if alarm.metric_data_queries:
        out = []
        for query in alarm.metric_data_queries:
            item: dict = {"id": query.id}
            if query.expression:
                item["expression"] = query.expression
            if query.metric_stat:
                ms = query.metric_stat
                item["metricStat"] = metric_stat(ms.metric.namespace, ms.metric.metric_name, ms.metric.dimensions, ms.period, ms.stat)
            if query.label:
                item["label"] = query.label
            item["returnData"] = str(query.return_data).lower() != "false"
            out.append(item)
        return out
    if not alarm.metric_name:
        return []
    return [{"id": str(uuid4()), "returnData": True, "metricStat": metric_stat(
        alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.period, alarm.statistic or alarm.extended_statistic)}]


def patch_cloudwatch_events() -> None:
    """"CloudWatch Alarm State Change" (source aws.cloudwatch) each time an alarm's state changes, in
    the shape CloudWatch documents (CloudWatch user guide, "Alarm events and EventBridge"). Setting
    the state it already has changes nothing and emits nothing, as on AWS."""
    from moto.cloudwatch.models import Alarm

    update_state = Alarm.update_state

    def state_of(alarm: Any) -> dict:
        state = {"value": alarm.state_value, "reason": alarm.state_reason}
        # moto starts every alarm with reason data "{}"; CloudWatch sends reasonData only when there is some.
        if alarm.state_reason_data not in (None, "", "{}"):
            state["reasonData"] = alarm.state_reason_data
        state["timestamp"] = alarm_timestamp(alarm.state_updated_timestamp)
        return state

    def patched(self, reason: str, reason_data: str, state_value: str) -> None:
        previous = state_of(self)
        update_state(self, reason, reason_data, state_value)
        if previous["value"] == self.state_value:
            return
        _, _, _, region, account_id, *_ = self.alarm_arn.split(":")
        configuration: dict = {}
        if self.description:
            configuration["description"] = self.description
        configuration["metrics"] = alarm_metrics(self)
        emit_event(account_id, region, "aws.cloudwatch", "CloudWatch Alarm State Change", [self.alarm_arn], {
            "alarmName": self.name,
            "state": state_of(self),
            "previousState": previous,
            "configuration": configuration,
        })

    Alarm.update_state = patched


def patch_stepfunctions_stop_cause() -> None:
    """StopExecution's error and cause reach the execution: moto 5.2.1's handler drops both and
    stops with error="" and cause="". AWS shows them in DescribeExecution and in the ABORTED event
    (patch_stepfunctions_end_order sets them with the status)."""
    from moto.core.utils import utcnow
    from moto.stepfunctions import models, responses
    from moto.stepfunctions.exceptions import ExecutionDoesNotExist

    def machine_stop(self, execution_arn: str, error: str | None = None, cause: str | None = None):
        execution = next((x for x in self.executions if x.execution_arn == execution_arn), None)
        if not execution:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        execution.stop(stop_date=utcnow(), error=error, cause=cause)
        return execution

    def backend_stop(self, execution_arn: str, error: str | None = None, cause: str | None = None):
        self._validate_execution_arn(execution_arn)
        return self._get_state_machine_for_execution(execution_arn).stop_execution(execution_arn, error, cause)

    def stop_execution(self):
        execution = self.stepfunction_backend.stop_execution(
            self._get_param("executionArn"), error=self._get_param("error"), cause=self._get_param("cause"))
        return responses.ActionResult({"stopDate": execution.stop_date})

    models.StateMachine.stop_execution = machine_stop
    models.StepFunctionBackend.stop_execution = backend_stop
    responses.StepFunctionResponse.stop_execution = stop_execution


def execution_status_detail(execution: Any) -> dict:
    """The detail of "Step Functions Execution Status Change", as events/guard-aborted.json shows it.
    input and output are the strings DescribeExecution answers (moto's responses.describe_execution),
    as on AWS, where the event and DescribeExecution agree."""
    def epoch_ms(value: Any) -> Any:
        return None if value is None else int(value.timestamp() * 1000)

    status = execution.exec_status.value
    succeeded = status == "SUCCEEDED"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": epoch_ms(execution.start_date),
        "stopDate": None if status == "RUNNING" else epoch_ms(execution.stop_date),
        "input": execution.execution_input,
        "output": (execution.output if isinstance(execution.output, str) else json.dumps(execution.output))
        if succeeded and execution.output is not None else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error,
        "cause": execution.cause,
    }


def patch_stepfunctions_events() -> None:
    """"Step Functions Execution Status Change" (source aws.states) on each status change of an
    execution: RUNNING when it starts, then SUCCEEDED, FAILED, TIMED_OUT or ABORTED. The end event
    is put only after patch_stepfunctions_end_order has set the output, error and cause and then the
    status (so a reader that sees the status in it sees the rest), once per execution."""
    from moto.stepfunctions.parser.api import ExecutionStatus, InvalidName
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    def emit(execution: Any) -> None:
        arn = execution.exec_arn
        _, _, _, region, account_id, *_ = arn.split(":")
        emit_event(account_id, region, "aws.states", "Step Functions Execution Status Change", [arn],
                   execution_status_detail(execution))

    def start(self) -> None:
        # Execution.start as moto 5.2.1 has it, with the RUNNING event before the worker runs
        # (a short execution would otherwise put its end event first).
        if self.exec_worker:
            raise InvalidName()
        self.exec_worker = self._get_start_execution_worker()
        self.exec_status = ExecutionStatus.RUNNING
        emit(self)
        self.exec_worker.start()

    Execution.start = start

    reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def reflect_and_emit(self) -> None:
        reflect(self)
        emit(self.execution)

    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_and_emit


# ------------------------------------------------------------------------------ VPC Lattice

LATTICE_ID_CHARS = "0123456789abcdef"
LATTICE_ARN_PREFIX = r"arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:"
# The identifier patterns of botocore's vpc-lattice model (ServiceIdentifier, ListenerIdentifier,
# RuleIdentifier, TargetGroupIdentifier): an ID, or the resource's ARN.
LATTICE_IDENTIFIERS = {
    "service": re.compile(rf"(svc-[0-9a-z]{{17}})|{LATTICE_ARN_PREFIX}service/(svc-[0-9a-z]{{17}})"),
    "listener": re.compile(rf"(listener-[0-9a-z]{{17}})|{LATTICE_ARN_PREFIX}service/svc-[0-9a-z]{{17}}/listener/(listener-[0-9a-z]{{17}})"),
    "rule": re.compile(rf"(rule-[0-9a-z]{{17}})|{LATTICE_ARN_PREFIX}service/svc-[0-9a-z]{{17}}/listener/listener-[0-9a-z]{{17}}/rule/(rule-[0-9a-z]{{17}})"),
    "targetGroup": re.compile(rf"(tg-[0-9a-z]{{17}})|{LATTICE_ARN_PREFIX}targetgroup/(tg-[0-9a-z]{{17}})"),
}
LATTICE_NAME = re.compile(r"(?!rule-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]{3,63}")


def lattice_id(prefix: str) -> str:
    """`prefix-` + 17 characters of [0-9a-z], as botocore's ServiceId/ListenerId/RuleId/TargetGroupId
    patterns require (AWS's are hex). moto used `str(uuid4())[:17]`, which has hyphens in it."""
    return f"{prefix}-{uuid4().hex[:17]}"


def lattice_now() -> str:
    """AWS's ISO-8601 timestamps, in UTC to the millisecond."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def patch_vpclattice() -> None:
    """VPC Lattice as AWS serves it, for the Lattice router (issue 10). The fixes, each below:
    AWS-shaped IDs and ARNs; identifiers accepted as ID or ARN; each listener's default rule;
    GetRule, UpdateRule, ListRules, BatchUpdateRule and UpdateListener (moto answered 'not
    implemented'); AWS's validation of actions, priorities and names; AWS's error names, shapes
    and HTTP statuses (moto sent every error as 400, and had no ConflictException)."""
    from moto.core.exceptions import JsonRESTError
    from moto.vpclattice import models, responses

    backend_cls = models.VPCLatticeBackend
    response_cls = responses.VPCLatticeResponse

    class LatticeError(JsonRESTError):
        """An error as Lattice (REST-JSON) sends it: the name in `x-amzn-errortype` (moto's
        JsonRESTError sets that header; the JS SDK reads it first, then `code`/`__type`), the
        status from the error shape in botocore's model, and the shape's members in the body.
        moto's own ResourceNotFoundException and ValidationException were both status 400."""

        def __init__(self, name: str, status: int, message: str, **members: Any) -> None:
            super().__init__(name, message)
            self.code = status
            self.description = json.dumps({"__type": name, "message": message, **members})

    def not_found(kind: str, identifier: str) -> LatticeError:
        # ResourceNotFoundException: 404, members message, resourceId, resourceType.
        return LatticeError("ResourceNotFoundException", 404, f"{kind} {identifier} not found",
                            resourceId=identifier, resourceType=kind.upper().replace(" ", "_"))

    def invalid(message: str, field: str | None = None) -> LatticeError:
        # ValidationException: 400, members message, reason, fieldList.
        members: dict[str, Any] = {"reason": "fieldValidationFailed" if field else "other"}
        if field:
            members["fieldList"] = [{"name": field, "message": message}]
        return LatticeError("ValidationException", 400, message, **members)

    def conflict(message: str, kind: str, identifier: str) -> LatticeError:
        # ConflictException: 409, members message, resourceId, resourceType.
        return LatticeError("ConflictException", 409, message, resourceId=identifier, resourceType=kind)

    def parse_identifier(kind: str, identifier: Any, field: str) -> str:
        """The ID in an identifier given as ID or ARN (AWS accepts both everywhere; moto looked
        only IDs up, so an ARN was 'not found'). A malformed one is AWS's ValidationException."""
        match = LATTICE_IDENTIFIERS[kind].fullmatch(identifier) if isinstance(identifier, str) else None
        if not match:
            raise invalid(f"{field} must be the ID or ARN of a {kind}", field)
        return match.group(1) or match.group(2)

    # ---- IDs and ARNs -----------------------------------------------------------------------

    def reshape_ids(cls, prefix: str, rearn) -> None:
        """Give each new resource an AWS-shaped ID (and the ARN built from it)."""
        original_init = cls.__init__

        def init(self, *args, _original_init=original_init, **kwargs):
            _original_init(self, *args, **kwargs)
            self.id = lattice_id(prefix)
            rearn(self)
            now = lattice_now()
            self.created_at = now
            self.last_updated_at = now

        cls.__init__ = init

    def service_arn(self) -> None:
        self.arn = re.sub(r"service/[^/]+$", f"service/{self.id}", self.arn)
        if not self.custom_domain_name:
            self.dns_entry = models.VPCLatticeDNSEntry(self.arn.split(":")[3], self.id)

    def listener_arn(self) -> None:
        self.arn = f"{self.service_arn}/listener/{self.id}"

    def target_group_arn(self) -> None:
        self.arn = re.sub(r"targetgroup/[^/]+$", f"targetgroup/{self.id}", self.arn)

    reshape_ids(models.VPCLatticeService, "svc", service_arn)
    reshape_ids(models.VPCLatticeListener, "listener", listener_arn)
    reshape_ids(models.VPCLatticeTargetGroup, "tg", target_group_arn)

    for cls in (models.VPCLatticeService, models.VPCLatticeTargetGroup):
        def with_times(self, _original=cls.to_dict):
            return {**_original(self), "createdAt": self.created_at, "lastUpdatedAt": self.last_updated_at}

        cls.to_dict = with_times

    def listener_to_dict(self):
        """GetListener's shape, with the default action as last written (UpdateListener) and
        lastUpdatedAt moved by every write."""
        return {
            "arn": self.arn, "id": self.id, "name": self.name, "protocol": self.protocol, "port": self.port,
            "serviceArn": self.service_arn, "serviceId": self.service_identifier,
            "defaultAction": self.default_action, "createdAt": self.created_at, "lastUpdatedAt": self.last_updated_at,
        }

    models.VPCLatticeListener.to_dict = listener_to_dict

    class LatticeRule:
        """A listener rule as AWS keeps it. moto's rule ARN read `listener/listener-listener-…`
        (it prefixed the listener's ID again), had no isDefault/createdAt/lastUpdatedAt, and
        every listener lacked the default rule AWS creates with it (isDefault, no priority or
        match, the listener's default action: ListRules and GetRule return it)."""

        def __init__(self, listener, name: str, priority: int | None, match: dict | None,
                     action: dict | None, is_default: bool = False) -> None:
            self.id = lattice_id("rule")
            self.arn = f"{listener.arn}/rule/{self.id}"
            self.listener = listener
            self.name = name
            self.priority = priority
            self.match = match
            self._action = action
            self.is_default = is_default
            self.created_at = self.last_updated_at = lattice_now()

        @property
        def action(self) -> dict:
            return self.listener.default_action if self.is_default else self._action

        def summary(self) -> dict:
            out = {"arn": self.arn, "id": self.id, "name": self.name, "isDefault": self.is_default,
                   "createdAt": self.created_at, "lastUpdatedAt": self.last_updated_at}
            if self.priority is not None:
                out["priority"] = self.priority
            return out

        def to_dict(self, timestamps: bool = True) -> dict:
            out = {"arn": self.arn, "id": self.id, "name": self.name, "isDefault": self.is_default,
                   "action": self.action}
            if self.match is not None:
                out["match"] = self.match
            if self.priority is not None:
                out["priority"] = self.priority
            if timestamps:
                out["createdAt"] = self.created_at
                out["lastUpdatedAt"] = self.last_updated_at
            return out

    # ---- lookups ----------------------------------------------------------------------------

    def lattice_service(self, identifier: Any):
        service_id = parse_identifier("service", identifier, "serviceIdentifier")
        service = self.services.get(service_id)
        if not service:
            raise not_found("Service", identifier)
        return service

    def lattice_listener(self, service_identifier: Any, listener_identifier: Any):
        service = lattice_service(self, service_identifier)
        listener_id = parse_identifier("listener", listener_identifier, "listenerIdentifier")
        listener = self.listeners.get(listener_id)
        if not listener or listener.service_identifier != service.id:
            raise not_found("Listener", listener_identifier)
        return listener

    def lattice_rule(self, listener, rule_identifier: Any) -> LatticeRule:
        rule_id = parse_identifier("rule", rule_identifier, "ruleIdentifier")
        rule = self.rules.get(rule_id)
        if not isinstance(rule, LatticeRule) or rule.listener is not listener:
            raise not_found("Rule", rule_identifier)
        return rule

    def listener_rules(self, listener) -> list:
        return [r for r in self.rules.values() if isinstance(r, LatticeRule) and r.listener is listener]

    def target_group(self, identifier: Any):
        target_group_id = parse_identifier("targetGroup", identifier, "targetGroupIdentifier")
        found = self.target_groups.get(target_group_id)
        if not found:
            raise not_found("Target group", identifier)
        return found

    # ---- validation -------------------------------------------------------------------------

    def checked_action(self, action: Any, field: str) -> dict:
        """A RuleAction as AWS validates it (moto stored whatever came): exactly one of forward
        and fixedResponse; forward holds 1-10 target groups, each an existing target group
        (404 otherwise) with an integer weight 0-999, required when there are several (one
        alone weighs 100); fixedResponse's statusCode is 404 or 500. Target groups given by ARN
        are kept by ID."""
        if not isinstance(action, dict) or len([k for k in ("forward", "fixedResponse") if action.get(k) is not None]) != 1:
            raise invalid(f"{field} must set exactly one of forward and fixedResponse", field)
        if action.get("fixedResponse") is not None:
            status = action["fixedResponse"].get("statusCode") if isinstance(action["fixedResponse"], dict) else None
            if status not in (404, 500):
                raise invalid(f"{field}.fixedResponse.statusCode must be 404 or 500", f"{field}.fixedResponse.statusCode")
            return {"fixedResponse": {"statusCode": status}}
        groups = action["forward"].get("targetGroups") if isinstance(action["forward"], dict) else None
        if not isinstance(groups, list) or not 1 <= len(groups) <= 10:
            raise invalid(f"{field}.forward.targetGroups must hold 1 to 10 target groups", f"{field}.forward.targetGroups")
        checked = []
        for i, group in enumerate(groups):
            path = f"{field}.forward.targetGroups[{i}]"
            if not isinstance(group, dict):
                raise invalid(f"{path} must be a weighted target group", path)
            weight = group.get("weight")
            if weight is None and len(groups) == 1:
                weight = 100
            if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 999:
                raise invalid(f"{path}.weight must be an integer from 0 to 999", f"{path}.weight")
            tg = target_group(self, group.get("targetGroupIdentifier"))
            checked.append({"targetGroupIdentifier": tg.id, "weight": weight})
        return {"forward": {"targetGroups": checked}}

    def checked_priority(self, listener, priority: Any, rule: LatticeRule | None = None) -> int:
        """Priority 1-2000 (ValidationException), unique on its listener: AWS refuses a second
        rule at a taken priority with ConflictException (409); moto accepted it."""
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 2000:
            raise invalid("priority must be an integer from 1 to 2000", "priority")
        for other in listener_rules(self, listener):
            if other is not rule and other.priority == priority:
                raise conflict(f"Priority {priority} is already used by rule {other.id} on listener {listener.id}",
                               "RULE", other.id)
        return priority

    def checked_match(match: Any) -> dict:
        if not isinstance(match, dict) or not isinstance(match.get("httpMatch"), dict):
            raise invalid("match must be an httpMatch", "match")
        return match

    # ---- backend ----------------------------------------------------------------------------

    def get_service(self, service_identifier):
        return lattice_service(self, service_identifier)

    def get_target_group(self, target_group_identifier):
        return target_group(self, target_group_identifier)

    original_create_listener = backend_cls.create_listener

    def create_listener(self, service_identifier, name, protocol, port, default_action, client_token, tags):
        """Validates the default action, and creates the listener's default rule with it."""
        lattice_service(self, service_identifier)
        action = checked_action(self, default_action, "defaultAction")
        listener = original_create_listener(self, service_identifier, name, protocol, port, action, client_token, tags)
        rule = LatticeRule(listener, "default", None, None, None, is_default=True)
        self.rules[rule.id] = rule
        return listener

    def get_listener(self, service_identifier, listener_identifier):
        return lattice_listener(self, service_identifier, listener_identifier)

    original_list_listeners = backend_cls.list_listeners

    def list_listeners(self, service_identifier, **kwargs):
        return original_list_listeners(self, service_identifier=lattice_service(self, service_identifier).id, **kwargs)

    def update_listener(self, service_identifier, listener_identifier, default_action):
        """UpdateListener (moto: not implemented): defaultAction is required and replaced whole."""
        listener = lattice_listener(self, service_identifier, listener_identifier)
        if default_action is None:
            raise invalid("defaultAction is required", "defaultAction")
        listener.default_action = checked_action(self, default_action, "defaultAction")
        now = lattice_now()
        listener.last_updated_at = now
        for rule in listener_rules(self, listener):
            if rule.is_default:
                rule.last_updated_at = now
        return listener

    def create_rule(self, action, client_token, listener_identifier, match, name, priority, service_identifier, tags):
        """CreateRule with AWS's checks: the listener must exist on the service (moto accepted
        any), the name 3-63 characters of [a-z0-9-] and unique on the listener, a match, and the
        action and priority rules above."""
        listener = lattice_listener(self, service_identifier, listener_identifier)
        if not isinstance(name, str) or not LATTICE_NAME.fullmatch(name):
            raise invalid("name must be 3-63 characters of a-z, 0-9 and single inner hyphens, not starting with rule-", "name")
        if any(r.name == name for r in listener_rules(self, listener)):
            raise conflict(f"A rule named {name} already exists on listener {listener.id}", "RULE", name)
        rule = LatticeRule(listener, name, checked_priority(self, listener, priority), checked_match(match),
                           checked_action(self, action, "action"))
        self.rules[rule.id] = rule
        self.tag_resource(rule.arn, tags or {})
        return rule

    def get_rule(self, service_identifier, listener_identifier, rule_identifier):
        return lattice_rule(self, lattice_listener(self, service_identifier, listener_identifier), rule_identifier)

    def list_rules(self, service_identifier, listener_identifier):
        """ListRules (moto: not implemented): every rule of the listener, the default rule included."""
        return listener_rules(self, lattice_listener(self, service_identifier, listener_identifier))

    def update_rule(self, service_identifier, listener_identifier, rule_identifier, match=None, priority=None, action=None):
        """UpdateRule (moto: not implemented) is a PATCH: only the fields given change; a given
        action replaces the whole target-group list; omitted match and priority stay. The default
        rule is changed with UpdateListener, not here (ValidationException). Nothing is written
        unless every given field is valid."""
        listener = lattice_listener(self, service_identifier, listener_identifier)
        rule = lattice_rule(self, listener, rule_identifier)
        return apply_rule_update(self, listener, rule, match, priority, action)

    def apply_rule_update(self, listener, rule, match, priority, action):
        if rule.is_default:
            raise invalid("The default rule cannot be updated with UpdateRule: use UpdateListener", "ruleIdentifier")
        new_match = checked_match(match) if match is not None else rule.match
        new_priority = checked_priority(self, listener, priority, rule) if priority is not None else rule.priority
        new_action = checked_action(self, action, "action") if action is not None else rule._action
        rule.match, rule.priority, rule._action = new_match, new_priority, new_action
        rule.last_updated_at = lattice_now()
        return rule

    def batch_update_rule(self, service_identifier, listener_identifier, rules):
        """BatchUpdateRule (moto: not implemented): 1-10 updates, each applied like UpdateRule;
        one that fails is reported in `unsuccessful` with its error's name and message and
        changes nothing, the others are applied."""
        listener = lattice_listener(self, service_identifier, listener_identifier)
        if not isinstance(rules, list) or not 1 <= len(rules) <= 10:
            raise invalid("rules must hold 1 to 10 rule updates", "rules")
        successful, unsuccessful = [], []
        for update in rules:
            update = update if isinstance(update, dict) else {}
            try:
                rule = lattice_rule(self, listener, update.get("ruleIdentifier"))
                successful.append(apply_rule_update(self, listener, rule, update.get("match"),
                                                    update.get("priority"), update.get("action")))
            except LatticeError as error:
                unsuccessful.append({"ruleIdentifier": update.get("ruleIdentifier"),
                                     "failureCode": error.error_type, "failureMessage": error.message})
        return successful, unsuccessful

    # moto's server answers on threads: one lock makes each check-then-write atomic, so two
    # rules can never take one priority at once (AWS refuses the second).
    atomic = serialized(threading.RLock())

    for fn in (get_service, get_target_group, create_listener, get_listener, list_listeners, update_listener,
               create_rule, get_rule, list_rules, update_rule, batch_update_rule):
        setattr(backend_cls, fn.__name__, atomic(fn))

    # ---- responses --------------------------------------------------------------------------
    # Path parameters come from moto's match of the raw (still percent-encoded) path against
    # botocore's URIs, so an ARN with its slashes encoded arrives whole. moto's own handlers
    # split the decoded path on "/" instead, which cut an ARN into pieces.

    def param(self, name):
        return self._get_param(name)

    def r_get_service(self):
        return json.dumps(self.backend.get_service(param(self, "serviceIdentifier")).to_dict())

    def r_get_target_group(self):
        return json.dumps(self.backend.get_target_group(param(self, "targetGroupIdentifier")).to_dict())

    def r_get_listener(self):
        return json.dumps(self.backend.get_listener(param(self, "serviceIdentifier"), param(self, "listenerIdentifier")).to_dict())

    def r_update_listener(self):
        listener = self.backend.update_listener(param(self, "serviceIdentifier"), param(self, "listenerIdentifier"),
                                                param(self, "defaultAction"))
        out = listener.to_dict()
        del out["createdAt"], out["lastUpdatedAt"]  # UpdateListenerResponse has neither
        return json.dumps(out)

    def r_create_rule(self):
        rule = self.backend.create_rule(
            action=param(self, "action"), client_token=param(self, "clientToken"),
            listener_identifier=param(self, "listenerIdentifier"), match=param(self, "match"),
            name=param(self, "name"), priority=param(self, "priority"),
            service_identifier=param(self, "serviceIdentifier"), tags=param(self, "tags"))
        out = rule.to_dict(timestamps=False)
        del out["isDefault"]  # CreateRuleResponse has no isDefault
        return json.dumps(out)

    def r_get_rule(self):
        rule = self.backend.get_rule(param(self, "serviceIdentifier"), param(self, "listenerIdentifier"),
                                     param(self, "ruleIdentifier"))
        return json.dumps(rule.to_dict())

    def r_list_rules(self):
        rules = self.backend.list_rules(param(self, "serviceIdentifier"), param(self, "listenerIdentifier"))
        return json.dumps({"items": [r.summary() for r in rules]})

    def r_update_rule(self):
        rule = self.backend.update_rule(param(self, "serviceIdentifier"), param(self, "listenerIdentifier"),
                                        param(self, "ruleIdentifier"), match=param(self, "match"),
                                        priority=param(self, "priority"), action=param(self, "action"))
        return json.dumps(rule.to_dict(timestamps=False))

    def r_batch_update_rule(self):
        successful, unsuccessful = self.backend.batch_update_rule(
            param(self, "serviceIdentifier"), param(self, "listenerIdentifier"), param(self, "rules"))
        return json.dumps({"successful": [r.to_dict(timestamps=False) for r in successful], "unsuccessful": unsuccessful})

    for name, fn in (("get_service", r_get_service), ("get_target_group", r_get_target_group),
                     ("get_listener", r_get_listener), ("update_listener", r_update_listener),
                     ("create_rule", r_create_rule), ("get_rule", r_get_rule), ("list_rules", r_list_rules),
                     ("update_rule", r_update_rule), ("batch_update_rule", r_batch_update_rule)):
        setattr(response_cls, name, fn)

    # moto's remaining not-found errors (services, target groups elsewhere) said 400.
    models.ResourceNotFoundException.code = 404


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
    patches = (
        patch_appmesh,
        patch_stepfunctions,
        patch_stepfunctions_stopped_branch,
        patch_stepfunctions_component_names,
        patch_stepfunctions_end_order,
        patch_stepfunctions_stop_wakes_waiting_tasks,
        # Speed: a short execution cost ~2.4 s of CPU before these, ~0.2 s after.
        patch_stepfunctions_clients,
        patch_stepfunctions_jsonpath,
        patch_stepfunctions_program,
        patch_server_dispatch,
        patch_dynamodb_atomic_writes,
        patch_dynamodb_transactions,
        patch_vpclattice,
        patch_stepfunctions_stop_cause,
    )
    # Service events (local/aws.ts `events: false` sets MESH_CANARY_EVENTS=0: nothing emitted, no
    # Lambda target invoked). After patch_stepfunctions_end_order, whose result they report.
    patches += (patch_events_targets,)
    if events_on():
        patches += (patch_cloudwatch_events, patch_stepfunctions_events)
    for patch in patches:
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
