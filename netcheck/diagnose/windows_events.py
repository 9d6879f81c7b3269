"""Event 4502 of the Log Analytics agent, read from the "Operations Manager" event log with
`wevtutil qe ... /f:xml` and judged by its number.

Command and XPath per https://learn.microsoft.com/windows-server/administration/windows-commands/wevtutil ;
the XML is the Event schema (https://learn.microsoft.com/windows/win32/wes/eventschema-schema).
Microsoft's own Update Management troubleshooter treats any 4502 as the agent refusing a
certificate that no Microsoft CA issued, which is what LOG_TLS_INTERCEPTION reports.
"""

from __future__ import annotations

from netcheck.commands import Runner
from netcheck.diagnose.discovery_model import Unreadable
from netcheck.diagnose.logs import LogLine
from netcheck.diagnose.redact import redact_text
from netcheck.diagnose.windows_output import events
from netcheck.findings import codes

CHANNEL = "Operations Manager"
EVENT_ID = 4502
NEWEST = 50
# ERROR_EVT_CHANNEL_NOT_FOUND: no Log Analytics agent has ever run here.
_CHANNEL_NOT_FOUND = 15007
_SOURCE = f'event log "{CHANNEL}", event {EVENT_ID}'

QUERY = (
    "wevtutil",
    "qe",
    CHANNEL,
    f"/q:*[System[(EventID={EVENT_ID})]]",
    "/f:xml",
    f"/c:{NEWEST}",
    "/rd:true",
    "/e:Events",
)


def read_4502(runner: Runner) -> tuple[list[LogLine], list[Unreadable]]:
    """The newest 4502 events as log lines (newest first), or why the log cannot be read."""
    done = runner(QUERY)
    command = " ".join(f'"{a}"' if " " in a else a for a in QUERY)
    if done is None:
        return [], [Unreadable("event 4502", command, "", "wevtutil could not be run")]
    if done.returncode == _CHANNEL_NOT_FOUND:
        return [], []
    if done.returncode != 0:
        why = f"wevtutil exited with {done.returncode}"
        return [], [Unreadable("event 4502", command, done.stdout.strip()[:300], why)]
    try:
        found = events(done.stdout)
    except ValueError as exc:
        return [], [Unreadable("event 4502", command, done.stdout.strip()[:300], str(exc))]
    lines = [
        LogLine(
            codes.LOG_TLS_INTERCEPTION.code,
            _SOURCE,
            event.time,
            redact_text(f"EventID {event.event_id} ({event.provider}): " + " | ".join(event.data))[
                :400
            ],
        )
        for event in found
        if event.event_id == EVENT_ID
    ]
    # wevtutil lists the newest first (/rd:true); the log findings quote the latest last.
    return lines[::-1], []
