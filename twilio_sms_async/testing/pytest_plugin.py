"""pytest plugin (auto-loaded once the package is installed): a ``twilio_sandbox`` fixture.

.. code-block:: python

    async def test_welcome_sms(twilio_sandbox):
        async with twilio_sandbox.client() as client:
            await my_app.send_welcome(client, "+15558675310")
        assert twilio_sandbox.stats.per_recipient["+15558675310"] == 1
"""

from __future__ import annotations

import pytest

from . import Sandbox


@pytest.fixture
def twilio_sandbox() -> Sandbox:
    """A fresh :class:`Sandbox` (seed 0, manual clock) for each test."""
    return Sandbox()
