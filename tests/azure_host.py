"""A stand-in for what the Azure Functions host hands a function: a real `func.Context` and a way to call the
function's user code with real `func.HttpRequest` objects, as the host does (keyword arguments)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import azure.functions as func


class FunctionContext(func.Context):
    def __init__(self, function_name: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._thread_local = threading.local

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return "/home/site/wwwroot"

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


_FUNCTIONS: dict[int, dict[str, Any]] = {}


def functions_by_name(app: Any) -> dict[str, Any]:
    """`app.get_functions()` validates names on each call, so it can run once per app object: the answer is
    kept for every later caller (any test module)."""
    if id(app) not in _FUNCTIONS:
        _FUNCTIONS[id(app)] = {function.get_function_name(): function for function in app.get_functions()}
    return _FUNCTIONS[id(app)]


def http_request(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    host: str = "archer-func.azurewebsites.net",
) -> func.HttpRequest:
    route_path = path.removeprefix("/api/v1/")
    return func.HttpRequest(
        method=method,
        url=f"https://{host}{path}",
        headers=headers or {},
        params=params or {},
        route_params={"path": route_path},
        body=body,
    )


def durable_client_binding(
    rpc_base_url: str = "http://127.0.0.1:17071/durabletask/", hub: str = "ArcherHub"
) -> str:
    """The JSON the Functions host passes for a `durableClient` binding (shape of the 2.x extension)."""
    import json

    webhooks = "http://127.0.0.1:7071/runtime/webhooks/durabletask"
    instance = f"{webhooks}/instances/INSTANCEID"
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{webhooks}/orchestrators/{{functionName}}[/{{instanceId}}]",
                "createAndWaitOnNewInstancePostUri": f"{webhooks}/orchestrators/{{functionName}}[/{{instanceId}}]",
            },
            "managementUrls": {
                "id": "INSTANCEID",
                "statusQueryGetUri": instance,
                "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}",
                "terminatePostUri": f"{instance}/terminate?reason={{text}}",
                "rewindPostUri": f"{instance}/rewind?reason={{text}}",
                "purgeHistoryDeleteUri": instance,
                "restartPostUri": f"{instance}/restart",
                "suspendPostUri": f"{instance}/suspend?reason={{text}}",
                "resumePostUri": f"{instance}/resume?reason={{text}}",
            },
            "baseUrl": webhooks,
            "requiredQueryStringParameters": "",
            "rpcBaseUrl": rpc_base_url,
        }
    )
