"""What a /probe request may ask for, and the deadline it gets (pure)."""

from __future__ import annotations

import pytest

from netcheck.catalogue import load_catalogue
from netcheck.exporter.config import Module
from netcheck.exporter.request import BadRequest, parse_probe, probe_deadline, step_timeout
from netcheck.models import Deployment

W = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
MODULES = {
    "default": Module("default", load_catalogue(None)),
    "short": Module("short", load_catalogue(None), timeout=3.0),
}


def test_a_full_selection() -> None:
    asked = parse_probe(
        f"region=West%20Europe&workspace_id={W.upper()}&update_management=true&module=short",
        MODULES,
    )
    assert asked.module.name == "short"
    assert asked.selection.region.name == "westeurope"
    assert asked.selection.workspace_id == W
    assert asked.selection.deployments == {Deployment.AGENT, Deployment.UPDATE_MANAGEMENT}


def test_the_default_module_and_both_worker_types_by_default() -> None:
    asked = parse_probe("region=we", MODULES)
    assert asked.module.name == "default"
    assert asked.selection.deployments == {Deployment.AGENT, Deployment.EXTENSION}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "missing region"),
        ("region=atlantis", "unknown region 'atlantis'"),
        ("region=we&workspace_id=123", "workspace_id: '123' is not a GUID"),
        ("region=we&automation_account_id=x", "automation_account_id: 'x' is not a GUID"),
        ("region=we&module=nope", "unknown module 'nope' (configured: default, short)"),
        ("region=we&update_management=1", "update_management: '1' is not true or false"),
        ("region=we&region=ne", "parameter region given 2 times"),
        ("region=we&target=example.com", "unknown parameter 'target' (valid: region,"),
    ],
)
def test_bad_requests_are_one_line(query: str, words: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_probe(query, MODULES)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_parameter_that_is_not_ours_is_not_repeated() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_probe("region=we&proxy=http://u:hunter2@p:3128", MODULES)
    assert "'proxy'" in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "module_timeout", "deadline"),
    [
        (None, 10.0, 10.0),  # no header: the module's timeout
        ("4", 10.0, 3.5),  # the scrape timeout less the margin
        ("30", 10.0, 10.0),  # capped by the module
        ("0.6", 10.0, 0.3),  # too short for the margin: half of it
        ("soon", 10.0, 10.0),
        ("-1", 10.0, 10.0),
        ("nan", 10.0, 10.0),
    ],
)
def test_the_deadline_comes_from_prometheus_capped_by_the_module(
    header: str | None, module_timeout: float, deadline: float
) -> None:
    assert probe_deadline(header, module_timeout) == pytest.approx(deadline)


def test_every_step_fits_the_deadline() -> None:
    assert step_timeout(4.0) == 1.0
