"""Per-server YAML config with freshly generated API keys (only their SHA-256 is written)."""

import hashlib
import json
import os
import secrets

APP_A = "app-a.example"  # the one app the ingest-only key may write


class Keys:
    """Raw keys of one test server. ingest_a: ingest for APP_A only; all: ingest+read for
    every app; read: read-only for every app; unknown: a key the server never heard of."""

    def __init__(self):
        self.ingest_a = "ia_" + secrets.token_hex(16)
        self.all = "all_" + secrets.token_hex(16)
        self.read = "ro_" + secrets.token_hex(16)
        self.admin = "ad_" + secrets.token_hex(16)
        self.unknown = "xx_" + secrets.token_hex(16)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DEFAULT_LIMITS = {"max_body_bytes": 4096, "max_batch": 100,
                  "max_event_names_per_app_per_day": 20}


def write_config(path, data_dir, keys, auth_required=True, limits=None, extra=None):
    """Writes the YAML file. JSON is YAML, but the file is written in the block style users
    write, with flow sequences for lists."""
    lim = dict(DEFAULT_LIMITS)
    if limits:
        lim.update(limits)
    q = json.dumps
    lines = [
        f"data_dir: {q(data_dir)}",
        "timezone: UTC",
        "durability: normal",
        "storage: sqlite",
        "log: stderr",
        "limits:",
    ]
    for k, v in lim.items():
        lines.append(f"  {k}: {v}")
    lines += [
        "auth:",
        f"  required: {'true' if auth_required else 'false'}",
        "  keys:",
        "    - name: ingest-a",
        f"      key_sha256: {sha256_hex(keys.ingest_a)}",
        "      scopes: [ingest]",
        f"      apps: [{q(APP_A)}]",
        "    - name: all-apps",
        f"      key_sha256: {sha256_hex(keys.all)}",
        "      scopes: [ingest, read]",
        "      apps: [\"*\"]",
        "    - name: read-only",
        f"      key_sha256: {sha256_hex(keys.read)}",
        "      scopes: [read]",
        "      apps: [\"*\"]",
        "    - name: admin",
        f"      key_sha256: {sha256_hex(keys.admin)}",
        "      scopes: [admin]",
        "      apps: [\"*\"]",
    ]
    for k, v in (extra or {}).items():
        lines.append(f"{k}: {q(v)}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
