"""The README's Python examples run as written, against a mocked Twilio."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from twilio_sms_async import AsyncClient

from .conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, FAST_RETRY, MESSAGE_SID, message_json

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def block_defining(name: str) -> str:
    """The README block that defines ``name`` (blocks are found by content, not position)."""
    matches = [b for b in python_blocks() if re.search(rf"^async def {name}\(", b, flags=re.MULTILINE)]
    assert len(matches) == 1, name
    return matches[0]


def mock_twilio(router: respx.MockRouter) -> None:
    router.post(f"{BASE}/Messages.json").respond(201, json=message_json())
    router.get(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(status="delivered"))
    router.post(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(body=""))
    router.get(f"{BASE}/Messages.json").respond(
        200, json={"messages": [message_json()], "next_page_uri": None, "page": 0, "page_size": 50}
    )


def test_readme_has_the_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 6
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
        run_function(block_defining("examples"), "examples")
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
        assert run_function(block_defining("notify"), "notify", "+15558675310") == expected


def test_configuration_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(block_defining("configured"), "README.md", "exec"), namespace)
    with respx.mock(assert_all_called=False) as router:
        mock_twilio(router)
        asyncio.run(namespace["configured"]())
        assert [c.request.method for c in router.calls] == ["POST"]


def test_bulk_example_against_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from twilio_sms_async.testing import Sandbox

    monkeypatch.chdir(tmp_path)  # the example writes campaign.journal
    sandbox = Sandbox()
    sandbox.add_number("+15017122661")
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(block_defining("campaign"), "README.md", "exec"), namespace)
    rows = [{"phone": f"+1555000{i:04d}", "name": f"N{i}"} for i in range(50)] + [
        {"phone": "+15005550004", "name": "x"}
    ]

    async def go() -> None:
        async with sandbox.client() as client:
            await namespace["campaign"](client, rows)

    asyncio.run(go())
    assert sandbox.stats.created == 50
    assert sandbox.stats.rejected[21610] == 1
    assert (tmp_path / "campaign.journal").exists()


def test_sandbox_example_passes() -> None:
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(block_defining("test_welcome_message"), "README.md", "exec"), namespace)
    asyncio.run(namespace["test_welcome_message"]())


def test_main_job_command_runs() -> None:
    """The README's first command, minus its install step (the test environment has the package)."""
    text = README.read_text()
    command = re.search(r"## Try it.*?```console\n(.*?)\n```", text, flags=re.DOTALL)
    assert command is not None
    install, run = command.group(1).split(" && ")
    assert install.startswith("python3 -m pip install -e '.[cli]'")
    argv = shlex.split(run)
    assert argv[:3] == ["python3", "-m", "twilio_sms_async"]
    done = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")},
    )
    assert done.returncode == 0, done.stderr
    assert "bulk send complete" in done.stdout
    assert re.search(r"sent\s*│\s*9989", done.stdout)
    for code in ("21211", "21408", "21610", "21612", "21614"):
        assert code in done.stdout


async def test_webhook_example_verifies_and_replies() -> None:
    from twilio_sms_async.webhooks import compute_signature

    source = next(b for b in python_blocks() if "TwilioWebhook(" in b)
    namespace: dict[str, Any] = {"__name__": "readme_webhooks"}
    exec(compile(source, "README.md", "exec"), namespace)
    form = {"MessageSid": "SM" + "1" * 32, "From": "+15558675310", "To": "+15017122661", "Body": "hi"}
    url = "http://testserver/twilio/inbound"
    headers = {
        "X-Twilio-Signature": compute_signature(url, form, "your_auth_token"),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    from urllib.parse import urlencode

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=namespace["app"]), base_url="http://testserver"
    ) as http:
        ok = await http.post("/twilio/inbound", content=urlencode(form), headers=headers)
        assert ok.status_code == 200
        assert "Got it: hi" in ok.text
        forged = await http.post(
            "/twilio/inbound", content=urlencode(form), headers={**headers, "X-Twilio-Signature": "x"}
        )
        assert forged.status_code == 403
        status_form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
        status_url = "http://testserver/twilio/status"
        status_headers = {
            **headers,
            "X-Twilio-Signature": compute_signature(status_url, status_form, "your_auth_token"),
        }
        done = await http.post("/twilio/status", content=urlencode(status_form), headers=status_headers)
        assert done.status_code == 204
    assert namespace["tracker"].get("SM" + "1" * 32) == "delivered"


def test_listing_example_against_the_sandbox() -> None:
    from datetime import UTC, datetime

    from twilio_sms_async.testing import SANDBOX_NUMBER, Sandbox, SandboxClock

    sandbox = Sandbox(clock=SandboxClock(start=datetime(2024, 3, 1, tzinfo=UTC).timestamp()))
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(block_defining("export"), "README.md", "exec"), namespace)

    async def go() -> tuple[int, int]:
        async with sandbox.client() as client:
            for i in range(5):
                await client.messages.send(
                    to="+15558675310" if i < 3 else "+15558675311", from_=SANDBOX_NUMBER, body="x"
                )
                await sandbox.advance(86400)
            result: tuple[int, int] = await namespace["export"](client)
            return result

    assert asyncio.run(go()) == (3, 5)


async def test_scaling_out_example_splits_one_job_between_workers(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twilio_sms_async.redis import RedisRateLimiter
    from twilio_sms_async.testing import Sandbox

    namespace: dict[str, Any] = {"__name__": "readme_scaleout"}
    exec(compile(block_defining("shared_campaign"), "README.md", "exec"), namespace)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    built = namespace["shared_client"](redis_url)
    assert isinstance(built.rate_limiter, RedisRateLimiter)
    await built.aclose()

    sandbox = Sandbox()
    sandbox.add_number("+15017122661")
    rows = [{"to": f"+1555000{i:04d}", "body": f"row {i}"} for i in range(1_500)]

    async def worker() -> None:
        async with sandbox.client() as client:
            await namespace["shared_campaign"](client, rows, redis_url)

    async with anyio.create_task_group() as tasks:
        for _ in range(3):
            tasks.start_soon(worker)
    assert sandbox.stats.created == 1_500
    assert sorted(m.body or "" for m in sandbox.messages.values()) == sorted(r["body"] for r in rows)
