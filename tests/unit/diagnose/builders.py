"""Fabricated worker hosts below a temporary root, for the diagnose tests.

Each builder writes the files a real install has, at the paths it has them, in their formats:
omsadmin.conf (KEY=VALUE), worker.conf (INI), the extension's settings (JSON), /proc entries.
"""

from __future__ import annotations

import json
from pathlib import Path

WORKSPACE = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
ACCOUNT = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"
AGENT_GUID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
LEGACY_JRDS_WE = "https://we-jobruntimedata-prod-su1.azure-automation.net"
EXTENSION_DIR = (
    "/var/lib/waagent/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux-1.1.13"
)
WORKER_LOG = "/var/opt/microsoft/omsagent/run/automationworker/worker.log"
EVENT_4502 = (
    "The certificate presented by the service {ws}.oms.opinsights.azure.com was not issued by "
    "a certificate authority used for Microsoft services. Please contact your network "
    "administrator to see if they are running a proxy that intercepts TLS/SSL communication."
)


class HostBuilder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._pid = 100

    def write(self, host_path: str, text: str) -> Path:
        path = self.root / host_path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    # ------------------------------------------------------------ the machine

    def machine(
        self,
        os_id: str = "ubuntu",
        version: str = "22.04",
        name: str = "Ubuntu 22.04.4 LTS",
        cores: int = 4,
        memory_kb: int = 8_148_236,
    ) -> HostBuilder:
        self.write(
            "/etc/os-release",
            f'NAME="{name.split()[0]}"\nID={os_id}\nVERSION_ID="{version}"\nPRETTY_NAME="{name}"\n',
        )
        self.write(
            "/proc/cpuinfo",
            "".join(
                f"processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\n\n"
                for n in range(cores)
            ),
        )
        self.write("/proc/meminfo", f"MemTotal:       {memory_kb} kB\nMemFree:        1000000 kB\n")
        self.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        (self.root / "var").mkdir(exist_ok=True)
        return self

    def user(self, name: str) -> HostBuilder:
        passwd = self.root / "etc/passwd"
        uid = 1000 + len(passwd.read_text().splitlines())
        with passwd.open("a") as handle:
            handle.write(f"{name}:x:{uid}:{uid}::/home/{name}:/bin/bash\n")
        return self

    def process(self, *argv: str) -> HostBuilder:
        self._pid += 1
        path = self.root / "proc" / str(self._pid) / "cmdline"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        return self

    def log(self, host_path: str, *lines: str) -> HostBuilder:
        self.write(host_path, "".join(line + "\n" for line in lines))
        return self

    # ------------------------------------------------------------ agent-based Linux

    def agent_based(
        self,
        jrds: str = LEGACY_JRDS_WE,
        running: bool = True,
        proxy: str | None = None,
        legacy_proxy_path: bool = False,
    ) -> HostBuilder:
        self.user("omsagent").user("nxautomation")
        (self.root / "opt/microsoft/omsagent/bin").mkdir(parents=True, exist_ok=True)
        self.write(
            "/etc/opt/microsoft/omsagent/conf/omsadmin.conf",
            f"WORKSPACE_ID={WORKSPACE}\n"
            f"AGENT_GUID={AGENT_GUID}\n"
            "LOG_FACILITY=local0\n"
            f"CERTIFICATE_UPDATE_ENDPOINT=https://{WORKSPACE}.oms.opinsights.azure.com/"
            "ConfigurationService.Svc/RenewCertificate\n"
            "URL_TLD=opinsights.azure.com\n"
            f"DSC_ENDPOINT=https://{WORKSPACE}.agentsvc.azure-automation.net/Accounts/"
            f"{WORKSPACE}/Nodes\\(AgentId='{AGENT_GUID}'\\)\n"
            f"OMS_ENDPOINT=https://{WORKSPACE}.ods.opinsights.azure.com/OperationalData.svc/"
            "PostJsonDataItems\n"
            "AZURE_RESOURCE_ID=\n",
        )
        state = "/var/opt/microsoft/omsagent/state/automationworker/diy"
        self.write(
            f"{state}/worker.conf",
            "[worker-required]\n"
            f"jrds_cert_path = {state}/worker_diy.crt\n"
            f"jrds_key_path = {state}/worker_diy.key\n"
            f"jrds_base_uri = {jrds}\n"
            f"account_id = {ACCOUNT}\n"
            f"machine_id = {AGENT_GUID}\n"
            "hybrid_worker_group_name = linux-group\n"
            "working_directory_path = /var/opt/microsoft/omsagent/run/automationworker\n\n"
            "[worker-optional]\n"
            "proxy_configuration_path = /etc/opt/microsoft/omsagent/proxy.conf\n"
            f"state_directory_path = {state}\n\n"
            "[oms-metadata]\n"
            f"agent_id = {AGENT_GUID}\n"
            f"workspace_id = {WORKSPACE}\n"
            f"registration_endpoint = https://{WORKSPACE}.agentsvc.azure-automation.net/"
            f"accounts/{WORKSPACE}\n",
        )
        self.write(f"{state}/worker_diy.key", "-----BEGIN PRIVATE KEY-----\nDIYKEYSECRET\n")
        if proxy is not None:
            where = "conf/proxy.conf" if legacy_proxy_path else "proxy.conf"
            self.write(f"/etc/opt/microsoft/omsagent/{where}", proxy + "\n")
        if running:
            self.process(
                "/opt/microsoft/omsagent/ruby/bin/ruby",
                "/opt/microsoft/omsagent/bin/omsagent",
                "-d",
                f"/var/opt/microsoft/omsagent/{WORKSPACE}/run/omsagent.pid",
            )
            self.process(
                "python",
                "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/"
                "MSFT_nxOMSAutomationWorkerResource/automationworker/worker/hybridworker.py",
                f"{state}/worker.conf",
            )
        return self

    # ------------------------------------------------------------ extension-based Linux

    def extension_based(
        self,
        running: bool = True,
        public: dict[str, object] | None = None,
        protected: object = None,
        account_url: str | None = None,
    ) -> HostBuilder:
        self.user("hweautomation")
        self.write(
            "/lib/systemd/system/hwd.service",
            "[Unit]\nDescription=Hybrid Worker Service\n\n[Service]\n"
            f"ExecStart=/usr/bin/python3 {EXTENSION_DIR}/HybridWorkerAgent/DaemonScripts/Scripts/"
            "3.x/automationWorkerStarterScript.py\nCPUQuota=25%\n",
        )
        url = account_url or (
            f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
        )
        handler: dict[str, object] = {
            "publicSettings": {"AutomationAccountURL": url, **(public or {})},
        }
        if protected is not None:
            handler["protectedSettings"] = protected
            handler["protectedSettingsCertThumbprint"] = "3C2B1A09F8E7D6C5B4A3928170F6E5D4C3B2A190"
        self.write(
            f"{EXTENSION_DIR}/config/0.settings",
            json.dumps({"runtimeSettings": [{"handlerSettings": handler}]}),
        )
        if running:
            self.process(
                "/usr/bin/python3",
                f"{EXTENSION_DIR}/HybridWorkerAgent/DaemonScripts/Scripts/3.x/"
                "automationWorkerStarterScript.py",
            )
        return self
