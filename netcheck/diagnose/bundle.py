"""The support bundle: the report in every format, the discovered configuration and the scanned
log tails, secrets redacted and private keys left out, as one zip file (built in memory)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

from netcheck.diagnose.diagnosis import Diagnosis
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.redact import is_secret_file, redact_text

# The files that say what the host is, beside the worker's own configuration.
_HOST_FILES = ("/etc/os-release",)


def build(*, reports: Mapping[str, str], diagnosis: Diagnosis, files: HostFiles) -> bytes:
    """`reports` maps a member name ("report.json") to the rendered report."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in reports.items():
            archive.writestr(name, text)
        for path in dict.fromkeys((*_HOST_FILES, *diagnosis.discovery.files)):
            if is_secret_file(path):
                continue
            config = files.read(path)
            if config is not None:
                archive.writestr(f"config{path}", redact_text(config))
        for output in diagnosis.discovery.outputs:
            name = re.sub(r"[^\w.-]+", "_", " ".join(output.argv)).strip("_")
            archive.writestr(f"commands/{name}.txt", redact_text(output.text))
        for path, tail in diagnosis.logs.tails:
            if not is_secret_file(path):
                archive.writestr(f"logs{path}", tail)
    return buffer.getvalue()
