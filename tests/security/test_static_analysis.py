"""Static analysis and dependency audit, as part of the suite.

- bandit over `tansiq/`: any finding of medium or high severity fails, unless it is justified
  in the code (`# nosec Bxxx - reason`) or in `.bandit.yaml`.
- pip-audit over the installed environment, when its vulnerability service (PyPI's JSON API)
  answers; otherwise the test is skipped and says why. A known vulnerability fails unless
  `docs/security-findings.md` lists it with a justification.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tansiq"
FINDINGS = ROOT / "docs" / "security-findings.md"
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
JUSTIFIED_NOSEC = re.compile(r"^:?\s*B\d{3}(\s*,\s*B\d{3})*\s*[-:]+\s*\S.{8,}$")


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (dev dependency); this check did not run")


def test_bandit_finds_nothing_of_medium_or_high_severity():
    _require("bandit")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-r",
            str(PACKAGE),
            "-c",
            str(ROOT / ".bandit.yaml"),
            "--severity-level",
            "medium",
            "--confidence-level",
            "low",
            "--format",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit scanned almost nothing"
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} "
        f"({r['issue_severity']}/{r['issue_confidence']}): {r['issue_text']}"
        for r in report["results"]
    ]
    assert not findings, "fix or justify:\n" + "\n".join(findings)


def test_every_nosec_names_its_check_and_gives_a_reason():
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = NOSEC.search(line)
            if m and not JUSTIFIED_NOSEC.match(m.group("rest").strip()):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "write `# nosec Bxxx - reason`:\n" + "\n".join(unexplained)


def _accepted() -> set[tuple[str, str]]:
    """(package, advisory) pairs that docs/security-findings.md justifies."""
    accepted = set()
    for line in FINDINGS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or set(cells[0]) <= {"-", " "} or cells[0] == "package":
            continue
        package, advisory, reason = cells
        if package and advisory and len(reason) >= 10:
            accepted.add((_normalise(package), advisory.upper()))
    return accepted


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _vulnerability_service_reason() -> str | None:
    """Why pip-audit's PyPI service cannot be used from here, or None when it can."""
    version = importlib.metadata.version("pip")
    url = f"https://pypi.org/pypi/pip/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            json.load(response)
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"PyPI's JSON API for vulnerability data is not reachable ({url}: {exc})"


def test_installed_dependencies_have_no_unjustified_known_vulnerabilities():
    _require("pip_audit")
    reason = _vulnerability_service_reason()
    if reason:
        pytest.skip(f"pip-audit not run: {reason}")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--vulnerability-service",
            "pypi",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--skip-editable",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"pip-audit gave no report (exit {result.returncode}): {result.stderr[-2000:]}")
    dependencies = report["dependencies"]
    unaudited = [
        d["name"] for d in dependencies if "could not be audited" in d.get("skip_reason", "")
    ]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        pytest.skip(
            f"pip-audit not run: its vulnerability service answered for none of the "
            f"{len(unaudited)} installed packages"
        )
    accepted = _accepted()
    open_findings = []
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"].upper(), *(a.upper() for a in vuln.get("aliases", []))}
            if not any((_normalise(dep["name"]), i) in accepted for i in ids):
                fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
                open_findings.append(f"{dep['name']} {dep['version']}: {vuln['id']} ({fixed})")
    assert not open_findings, "upgrade, or justify in docs/security-findings.md:\n" + "\n".join(
        open_findings
    )
    print(f"pip-audit: {len(audited)} packages audited, not auditable: {unaudited or 'none'}")
