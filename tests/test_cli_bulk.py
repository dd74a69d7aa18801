"""``twilio-sms bulk`` and ``twilio-sms sandbox`` as a user runs them: real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

from twilio_sms_async import AsyncClient
from twilio_sms_async.testing import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_NUMBER

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "twilio_sms_async.cli"]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def write_csv(path: Path, rows: int, magic: tuple[str, ...] = ()) -> Path:
    lines = ["to,name"]
    lines += [f"{m},Magic" for m in magic]
    lines += [f"+1555{3000000 + i:07d},Person{i}" for i in range(rows - len(magic))]
    path.write_text("\n".join(lines) + "\n")
    return path


def journal_outcomes(path: Path) -> Counter[int]:
    return Counter(int(line.split()[1]) for line in path.read_text().splitlines() if line.startswith("D "))


def test_bulk_through_the_sandbox_reports_every_row(tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "r.csv", 300, magic=("+15005550004", "+15005550009", "bogus"))
    results = tmp_path / "results.jsonl"
    done = run_cli("--sandbox", "bulk", str(recipients), "--body", "Hi {name}", "--results", str(results), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["sent"], summary["failed"], summary["unknown"]) == (297, 3, 0)
    assert summary["failed_by_code"] == {"21610": 1, "21614": 1, "invalid:to": 1}
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted(r["index"] for r in records) == list(range(300))
    sent = next(r for r in records if r["outcome"] == "sent")
    assert sent["sid"].startswith("SM")
    assert "Traceback" not in done.stderr
    strict = run_cli("--sandbox", "bulk", str(recipients), "--body", "Hi {name}", "--json", "--strict")
    assert strict.returncode == 1


def test_bulk_resumes_from_its_journal(tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "r.csv", 200)
    journal = tmp_path / "job.journal"
    first = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--journal", str(journal), "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--journal", str(journal), "--json")
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == 200
    assert summary["sent"] == 0
    assert set(journal_outcomes(journal).values()) == {1}


def test_ctrl_c_stops_cleanly_writes_the_journal_and_resumes(tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "r.csv", 2000)
    journal = tmp_path / "job.journal"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    args = [*CLI, "--sandbox", "bulk", str(recipients), "--body", "x", "--journal", str(journal), "--rate", "200"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while (not journal.exists() or journal.stat().st_size < 2000) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in out
    assert "rerun the same command to resume" in err
    assert "Traceback" not in err
    first = journal_outcomes(journal)
    assert 0 < len(first) < 2000
    started = {int(line.split()[1]) for line in journal.read_text().splitlines() if line.startswith("S ")}
    assert started == set(first)  # everything started got its outcome written

    rest = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--journal", str(journal), "--json")
    summary = json.loads(rest.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == len(first)
    assert summary["sent"] == 2000 - len(first)
    everything = journal_outcomes(journal)
    assert set(everything) == set(range(2000))
    assert set(everything.values()) == {1}  # no index was sent (or recorded) twice


def test_bulk_refuses_bad_input_up_front(tmp_path: Path) -> None:
    no_body = write_csv(tmp_path / "r.csv", 3)
    done = run_cli("--sandbox", "bulk", str(no_body))
    assert done.returncode == 2
    assert "no 'body' or 'media_url' column" in done.stderr
    template = run_cli("--sandbox", "bulk", str(no_body), "--body", "Hi {first_name}")
    assert template.returncode == 2
    assert "first_name" in template.stderr
    missing = run_cli("--sandbox", "bulk", str(tmp_path / "nope.csv"), "--body", "x")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1


def test_jsonl_input_with_a_bad_line_fails_only_that_line(tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    source.write_text('{"to": "+15558675310", "body": "a"}\nnot json\n{"to": "+15558675311", "body": "b"}\n')
    done = run_cli("--sandbox", "bulk", str(source), "--json")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["sent"], summary["failed"]) == (2, 1)
    assert summary["failed_by_code"] == {"invalid:file": 1}


def test_debug_shows_the_traceback() -> None:
    done = run_cli("--debug", "get", "SM" + "1" * 32)
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_sandbox_command_serves_any_client(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    process = subprocess.Popen(
        [*CLI, "sandbox", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert first_line.startswith("sandbox serving on http://127.0.0.1:")
        base_url = first_line.split()[-1]

        async def use() -> str:
            async with AsyncClient(SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, base_url=base_url) as client:
                msg = await client.messages.send(to="+15558675310", from_=SANDBOX_NUMBER, body="hi")
                return (await client.messages.fetch(msg.sid)).body

        assert anyio.run(use) == "hi"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode in (0, 130)


@pytest.mark.parametrize("flag_first", [True, False])
def test_global_flags_work_before_or_after_the_command(flag_first: bool, tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "r.csv", 5)
    args = (
        ["--json", "bulk", str(recipients), "--body", "x"]
        if flag_first
        else ["bulk", str(recipients), "--body", "x", "--json"]
    )
    done = run_cli("--sandbox", *args)
    assert json.loads(done.stdout.strip().splitlines()[-1])["sent"] == 5


def test_shared_job_flags_are_checked_before_redis_is_contacted(tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "r.csv", 3)
    nowhere = "redis://127.0.0.1:1/0"  # were it contacted, the error would be "Redis unavailable" (exit 3)
    no_name = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--redis", nowhere)
    assert no_name.returncode == 2
    assert "--job-id" in no_name.stderr
    no_redis = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--job-id", "j")
    assert no_redis.returncode == 2
    assert "pass --redis URL" in no_redis.stderr
    with_journal = run_cli(
        "--sandbox", "bulk", str(recipients), "--body", "x", "--redis", nowhere, "--job-id", "j",
        "--journal", str(tmp_path / "j.journal"),
    )  # fmt: skip
    assert with_journal.returncode == 2
    assert "drop --journal" in with_journal.stderr
    unreachable = run_cli("--sandbox", "bulk", str(recipients), "--body", "x", "--redis", nowhere, "--job-id", "j")
    assert unreachable.returncode == 3
    assert "Redis unavailable" in unreachable.stderr
