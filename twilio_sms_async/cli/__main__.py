"""``python -m twilio_sms_async.cli``: the same as the ``twilio-sms`` command."""

import sys

from . import main

sys.exit(main())
