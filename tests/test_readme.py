"""The README's Python examples run as written, against a mocked Twilio."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from twilio_sms_async import AsyncClient

from .conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, FAST_RETRY, MESSAGE_SID, message_json

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def mock_twilio(router: respx.MockRouter) -> None:
    router.post(f"{BASE}/Messages.json").respond(201, json=message_json())
    router.get(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(status="delivered"))
    router.post(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(body=""))
    router.get(f"{BASE}/Messages.json").respond(
        200, json={"messages": [message_json()], "next_page_uri": None, "page": 0, "page_size": 50}
    )


def test_readme_has_the_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 3
    assert "AsyncClient()" in blocks[0]


def test_quickstart_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    with respx.mock(assert_all_called=False) as router:
        mock_twilio(router)
        exec(compile(python_blocks()[0], "README.md", "exec"), {"__name__": "readme"})
        methods = [(c.request.method, c.request.url.path.rsplit("/", 1)[-1]) for c in router.calls]
    assert methods == [("POST", "Messages.json"), ("GET", f"{MESSAGE_SID}.json"), ("POST", f"{MESSAGE_SID}.json")]
    assert capsys.readouterr().out.strip() == f"{MESSAGE_SID} queued"


def run_function(source: str, name: str, *args: Any) -> Any:
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(source, "README.md", "exec"), namespace)

    async def go() -> Any:
        async with AsyncClient(ACCOUNT_SID, AUTH_TOKEN, retry=FAST_RETRY) as client:
            return await namespace[name](client, *args)

    return asyncio.run(go())


def test_send_examples_run() -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_twilio(router)
        run_function(python_blocks()[1], "examples")
        sent = [c.request for c in router.calls if c.request.method == "POST"]
    assert len(sent) == 3
    assert b"SendAt=" in sent[1].content
    assert b"ContentVariables=" in sent[2].content


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(201, json=message_json()), MESSAGE_SID),
        (httpx.Response(400, json={"code": 21610, "message": "unsubscribed", "status": 400}), "opted out"),
        (httpx.Response(400, json={"code": 21408, "message": "geo", "status": 400}), "country not enabled"),
        (httpx.ConnectError("refused"), "retry"),
        (httpx.ReadTimeout("slow"), "unknown"),
    ],
)
def test_error_handling_example(answer: httpx.Response | Exception, expected: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{BASE}/Messages.json").respond(200, json={"messages": [], "next_page_uri": None})
        route = router.post(f"{BASE}/Messages.json")
        if isinstance(answer, Exception):
            route.mock(side_effect=answer)
        else:
            route.mock(return_value=answer)
        assert run_function(python_blocks()[2], "notify", "+15558675310") == expected
