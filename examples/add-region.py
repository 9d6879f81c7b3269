"""Write a catalogue that knows the location code of a region added after this release.

Usage:
    python examples/add-region.py swedencentral sec my-regions.yaml
    netcheck check --region swedencentral --automation-account-id <GUID> --catalogue my-regions.yaml

The code comes from your Automation account (Keys -> URL:
https://<accountId>.agentsvc.<code>.azure-automation.net/...). Everything else, Microsoft's
CA list included, is copied from the catalogue shipped with netcheck.
"""

import sys
from importlib import resources

import yaml


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    region_name, code, output = sys.argv[1:]
    shipped = (resources.files("netcheck.data") / "regions.yaml").read_text(encoding="utf-8")
    catalogue = yaml.safe_load(shipped)
    region = next((r for r in catalogue["regions"] if r["name"] == region_name), None)
    if region is None:
        # A region the catalogue does not list at all: describe it in full.
        region = {
            "name": region_name,
            "display_name": region_name,
            "cloud": "public",
            "legacy_jrds": None,
            "legacy_agentservice": None,
            "original_2018": False,
        }
        catalogue["regions"].append(region)
    region.update(
        code=code,
        account_domains=["azure-automation.net"],
        doubtful=None,
        source=f"location code {code!r} taken from the account's own URL",
    )
    with open(output, "w", encoding="utf-8") as handle:
        yaml.safe_dump(catalogue, handle, sort_keys=False, allow_unicode=True)
    print(f"wrote {output}: {region_name} now has location code {code}")


if __name__ == "__main__":
    main()
