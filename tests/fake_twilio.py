"""A local fake of Twilio's REST API (the 2010-04-01 Calls and call Recordings resources) for tests: a real
HTTP server on 127.0.0.1 that the real `twilio` client talks to. It checks Basic auth like Twilio, answers
Twilio-shaped JSON, and records every request it received (method, path, form fields in order), so a test
asserts exactly what Archer sent. `fail_next(status, code)` makes the next request fail as Twilio would."""

from __future__ import annotations

import base64
import contextlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.servers import serve_in_thread

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-auth-token"


@dataclass
class ReceivedRequest:
    method: str
    path: str
    form: list[tuple[str, str]]
    authorized: bool

    def field(self, name: str) -> str | None:
        """The first value of form field `name`."""
        return next((value for key, value in self.form if key == name), None)

    def fields(self, name: str) -> list[str]:
        return [value for key, value in self.form if key == name]

    @property
    def form_dict(self) -> dict[str, Any]:
        """Form fields as a dict; a repeated field becomes a list."""
        out: dict[str, Any] = {}
        for key, value in self.form:
            if key in out:
                out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
            else:
                out[key] = value
        return out


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[ReceivedRequest] = field(default_factory=list)
    base_url: str = ""
    _failures: list[tuple[int, int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, code: int = 20500, message: str = "Internal Server Error") -> None:
        """The next request answers `status` with Twilio's error body (`code`, `message`)."""
        self._failures.append((status, code, message))

    def calls_created(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.endswith("/Calls.json") and r.method == "POST"]

    def recording_updates(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if "/Recordings/" in r.path]

    def call_updates(self) -> list[ReceivedRequest]:
        return [
            r
            for r in self.requests
            if "/Calls/" in r.path and "/Recordings/" not in r.path and r.method == "POST"
        ]

    def _authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def app(self) -> FastAPI:
        app = FastAPI()
        prefix = "/2010-04-01/Accounts/{account_sid}"

        async def receive(request: Request, account_sid: str) -> JSONResponse | None:
            form = await request.form()
            authorized = self._authorized(request.headers.get("authorization")) and (
                account_sid == self.account_sid
            )
            with self._lock:
                self.requests.append(
                    ReceivedRequest(
                        method=request.method,
                        path=request.url.path,
                        form=[(key, str(value)) for key, value in form.multi_items()],
                        authorized=authorized,
                    )
                )
                failure = self._failures.pop(0) if self._failures else None
            if not authorized:
                return _error(401, 20003, "Authenticate")
            if failure is not None:
                return _error(*failure)
            return None

        @app.post(prefix + "/Calls.json")
        async def create_call(request: Request, account_sid: str) -> JSONResponse:
            refused = await receive(request, account_sid)
            if refused is not None:
                return refused
            form = self.requests[-1].form_dict
            sid = f"CA{next(self._numbers):032x}"
            return JSONResponse(
                _call(account_sid, sid, status="queued", to=form.get("To"), from_=form.get("From")),
                status_code=201,
            )

        @app.post(prefix + "/Calls/{call_sid}.json")
        async def update_call(request: Request, account_sid: str, call_sid: str) -> JSONResponse:
            refused = await receive(request, account_sid)
            if refused is not None:
                return refused
            status = self.requests[-1].field("Status") or "in-progress"
            return JSONResponse(_call(account_sid, call_sid, status=status))

        @app.post(prefix + "/Calls/{call_sid}/Recordings/{recording_sid}.json")
        async def update_recording(
            request: Request, account_sid: str, call_sid: str, recording_sid: str
        ) -> JSONResponse:
            refused = await receive(request, account_sid)
            if refused is not None:
                return refused
            sid = "RE" + "0" * 32 if recording_sid == "Twilio.CURRENT" else recording_sid
            return JSONResponse(
                {
                    "account_sid": account_sid,
                    "call_sid": call_sid,
                    "sid": sid,
                    "status": self.requests[-1].field("Status"),
                    "channels": 2,
                    "source": "OutboundAPI",
                    "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Recordings/{sid}.json",
                }
            )

        return app


def _call(account_sid: str, sid: str, *, status: str, to: Any = None, from_: Any = None) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": account_sid,
        "status": status,
        "to": to,
        "from": from_,
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json",
    }


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


@contextlib.contextmanager
def running_fake_twilio() -> Iterator[FakeTwilio]:
    """Serve a fresh fake on a loopback port for the block; `fake.base_url` is its origin."""
    fake = FakeTwilio()
    with serve_in_thread(fake.app()) as url:
        fake.base_url = url
        yield fake
