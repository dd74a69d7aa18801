"""The ``twilio-sms`` command: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
import respx

from twilio_sms_async.cli import EXIT_API_ERROR, EXIT_NETWORK, EXIT_OK, EXIT_USAGE, main

from .conftest import ACCOUNT_SID, AUTH_TOKEN, BASE, MESSAGE_SID, message_json


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)


def test_send_prints_the_message_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock() as router:
        route = router.post(f"{BASE}/Messages.json").respond(201, json=message_json())
        code = main(["--json", "send", "--to", "+15558675310", "--from", "+15017122661", "--body", "Hello"])
    assert code == EXIT_OK
    row = json.loads(capsys.readouterr().out)
    assert row["sid"] == MESSAGE_SID
    assert row["status"] == "queued"
    assert b"Body=Hello" in route.calls.last.request.content


def test_get_list_redact_cancel_delete(capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock() as router:
        router.get(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json(status="delivered"))
        update = router.post(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(200, json=message_json())
        router.delete(f"{BASE}/Messages/{MESSAGE_SID}.json").respond(204)
        router.get(f"{BASE}/Messages.json").respond(
            200, json={"messages": [message_json(), message_json()], "next_page_uri": None}
        )
        assert main(["get", MESSAGE_SID]) == EXIT_OK
        assert "delivered" in capsys.readouterr().out
        assert main(["list", "--limit", "2", "--to", "+15558675310", "--sent-after", "2024-01-02"]) == EXIT_OK
        assert capsys.readouterr().out.count(MESSAGE_SID) == 2
        listed = router.calls.last.request.url.params
        assert (listed["To"], listed["DateSent>"]) == ("+15558675310", "2024-01-02")
        assert main(["redact", MESSAGE_SID]) == EXIT_OK
        assert main(["cancel", MESSAGE_SID]) == EXIT_OK
        assert [c.request.content for c in update.calls] == [b"Body=", b"Status=canceled"]
        assert main(["delete", MESSAGE_SID]) == EXIT_OK
        assert f"deleted {MESSAGE_SID}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "answer", "code", "stderr"),
    [
        (["send", "--to", "555", "--from", "+15017122661", "--body", "x"], None, EXIT_USAGE, "invalid input: to:"),
        (["get", "nope"], None, EXIT_USAGE, "invalid input: sid:"),
        (
            ["send", "--to", "+15558675310", "--from", "+15017122661", "--body", "x"],
            httpx.Response(400, json={"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
            EXIT_API_ERROR,
            "Twilio error 21610",
        ),
        (
            ["send", "--to", "+15558675310", "--from", "+15017122661", "--body", "x"],
            httpx.ReadTimeout("slow"),
            EXIT_NETWORK,
            "may have been sent",
        ),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    answer: httpx.Response | Exception | None,
    code: int,
    stderr: str,
) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(f"{BASE}/Messages.json")
        if isinstance(answer, Exception):
            route.mock(side_effect=answer)
        elif answer is not None:
            route.mock(return_value=answer)
        assert main(argv) == code
    err = capsys.readouterr().err
    assert stderr in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert AUTH_TOKEN not in err


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twilio_sms_async.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("twilio-sms-async ")
    missing = subprocess.run(
        [sys.executable, "-m", "twilio_sms_async.cli", "get", MESSAGE_SID],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert missing.returncode == EXIT_USAGE
    assert "account_sid: no Account SID" in missing.stderr
