"""Rules the sidecar's code keeps, checked on the source: every presented credential is compared
in constant time (Secrets.matches), and SQL text is never built from request values."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Stand-ins for Zoho and Odoo are test fixtures, not the sidecar's doors.
SIDECAR = [
    d for d in os.listdir(os.path.join(ROOT, "Sources")) if d not in ("Simulator", "ZohoSim", "OdooStandIn")
]

CREDENTIAL = r"\w*(?:[Ss]ecret|[Tt]oken|[Aa]piKey|[Ss]ignature|[Pp]assword|presented|bearer)\w*"
PLAIN_COMPARE = re.compile(
    rf"\b{CREDENTIAL}\s*(?:==|!=)\s*(?!nil\b)[\w\"]|(?:==|!=)\s*{CREDENTIAL}\b(?!\s*\?\?)"
)
# Comparisons of values the sidecar holds with values it holds, where timing reveals nothing.
ALLOWED = {
    "TokenKeeper.swift": "!= rejected",  # the access token we hold vs. the one Zoho just refused, both ours
}


def swift_files():
    for part in SIDECAR:
        for dirpath, _, files in os.walk(os.path.join(ROOT, "Sources", part)):
            for f in files:
                if f.endswith(".swift"):
                    yield os.path.join(dirpath, f)


def test_credentials_are_compared_in_constant_time():
    offenders = []
    for path in swift_files():
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                code = line.split("//")[0]
                if PLAIN_COMPARE.search(code) and ALLOWED.get(os.path.basename(path), "\0") not in code:
                    offenders.append(f"{os.path.relpath(path, ROOT)}:{n}: {code.strip()}")
    assert not offenders, "compare credentials with Secrets.matches:\n" + "\n".join(offenders)


def test_the_constant_time_comparison_is_used_at_every_door():
    text = ""
    for path in swift_files():
        with open(path, encoding="utf-8") as f:
            text += f.read()
    # Webhook secret, ?key, channel token, signature, OAuth state MAC, metrics token.
    assert len(re.findall(r"Secrets\.matches\(", text)) >= 6


def test_sql_text_is_never_interpolated_from_values():
    offenders = []
    for path in swift_files():
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                # Interpolation inside SQL("…") may only name our own identifiers (tables, columns, dialect).
                for m in re.finditer(r'SQL\("([^"]*)"', line):
                    for expr in re.findall(r"\\\((.*?)\)", m.group(1)):
                        if re.search(r"\b(request|arguments|body|query|input|value|domain|call\.)\b", expr):
                            offenders.append(f"{os.path.relpath(path, ROOT)}:{n}: \\({expr})")
    assert not offenders, "values must be bound parameters:\n" + "\n".join(offenders)
