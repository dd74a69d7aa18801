"""``python -m twilio_sms_async``: the ``twilio-sms`` command line."""

import sys

from .cli import main

sys.exit(main())
