"""The exit codes of the ``orgaccess`` command line (one meaning each).

========  ==========================================================================
code      meaning
========  ==========================================================================
0         success
1         bad input: a file that cannot be read, an invalid snapshot, an entity or
          policy that does not exist, a report that FAILED, an error from AWS
2         usage: an unknown command or option, a missing or out-of-range value
3         no activity: no record was counted, or none falls in the tracking window
          (``report`` and ``unused``; ``--allow-empty`` turns it off)
4         not observable: ``unused --suggest-scp`` refused because the activity read
          does not cover the whole period or every account (``--allow-partial``)
5         unused services found (``unused --fail-on-unused``)
6         a proposed SCP change cuts off a service used in the window (``impact``)
130       interrupted (Ctrl-C)
========  ==========================================================================

An unexpected internal error (a bug) is one line asking for a bug report, exit
code 1; ``ORGACCESS_DEBUG=1`` shows its traceback instead.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_OBSERVABLE",
    "EXIT_NO_ACTIVITY",
    "EXIT_OK",
    "EXIT_UNUSED_FOUND",
    "EXIT_USAGE",
    "EXIT_USED_ACCESS_CUT_OFF",
]

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_NO_ACTIVITY = 3
EXIT_NOT_OBSERVABLE = 4
EXIT_UNUSED_FOUND = 5
EXIT_USED_ACCESS_CUT_OFF = 6
EXIT_INTERRUPTED = 130
