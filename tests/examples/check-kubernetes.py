#!/usr/bin/env python3
"""Checks examples/kubernetes/mailsync-cronjob.yaml: one Secret, one PersistentVolumeClaim and one
CronJob per account, isolated from each other, with a configuration mailsync accepts.

For each CronJob: it runs `mailsync -c CONFIG -a ACCOUNT sync --quiet` and turns 75 into success;
concurrencyPolicy Forbid; restartPolicy Never with a podFailurePolicy that fails the job at once on
77 and 78; its store volume is a claim used by no other CronJob, ReadWriteOnce; its secret is used by
no other CronJob and holds a config.yaml naming exactly ACCOUNT, whose store lies on that volume,
which `mailsync config` accepts; the pod runs as non-root with a read-only root file system.

usage: check-kubernetes.py MAILSYNC_BINARY MANIFEST
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml


def fail(message):
    print(f"check-kubernetes: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    mailsync, manifest = sys.argv[1], sys.argv[2]
    with open(manifest) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in documents:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    cronjobs = by_kind.get("CronJob", {})
    if len(cronjobs) < 2:
        fail("expected a CronJob for each of at least two accounts")
    claims_used, secrets_used = set(), set()
    for name, cronjob in cronjobs.items():
        spec = cronjob["spec"]
        if spec.get("concurrencyPolicy") != "Forbid":
            fail(f"{name}: concurrencyPolicy must be Forbid (never two runs of one account)")
        job = spec["jobTemplate"]["spec"]
        pod = job["template"]["spec"]
        if pod.get("restartPolicy") != "Never":
            fail(f"{name}: restartPolicy must be Never (podFailurePolicy needs it)")
        rules = job.get("podFailurePolicy", {}).get("rules", [])
        if not any(r["action"] == "FailJob" and set(r["onExitCodes"]["values"]) >= {77, 78} for r in rules):
            fail(f"{name}: 77 and 78 must fail the job without retries")
        security = pod.get("securityContext", {})
        if not security.get("runAsNonRoot"):
            fail(f"{name}: the pod must run as non-root")
        (container,) = pod["containers"]
        if not container.get("securityContext", {}).get("readOnlyRootFilesystem"):
            fail(f"{name}: the container's root file system must be read-only")
        script = " ".join(container["args"])
        found = re.search(r"mailsync -c (\S+) -a (\S+) sync --quiet", script)
        if not found:
            fail(f"{name}: does not run `mailsync -c CONFIG -a ACCOUNT sync --quiet`: {script}")
        config_path, account = found.groups()
        if '"$code" = 75' not in script:
            fail(f"{name}: exit 75 (try later) must count as success")
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        claim = next(v["persistentVolumeClaim"]["claimName"] for v in volumes.values() if "persistentVolumeClaim" in v)
        secret = next(v["secret"]["secretName"] for v in volumes.values() if "secret" in v)
        if claim in claims_used or secret in secrets_used:
            fail(f"{name}: shares its volume or secret with another account's job")
        claims_used.add(claim)
        secrets_used.add(secret)
        if by_kind["PersistentVolumeClaim"][claim]["spec"]["accessModes"] != ["ReadWriteOnce"]:
            fail(f"{claim}: must be ReadWriteOnce")
        store_mount = next(mounts[n] for n, v in volumes.items() if "persistentVolumeClaim" in v)
        secret_mount = next(mounts[n] for n, v in volumes.items() if "secret" in v)
        if os.path.dirname(config_path) != secret_mount:
            fail(f"{name}: the configuration {config_path} is not in the secret's mount {secret_mount}")
        config_text = by_kind["Secret"][secret]["stringData"][os.path.basename(config_path)]
        config = yaml.safe_load(config_text)
        if list(config["accounts"]) != [account]:
            fail(f"{name}: its secret's configuration must name exactly the account {account}")
        store = config["accounts"][account]["store"]
        if not store.startswith(store_mount + "/"):
            fail(f"{name}: the store {store} is not on the account's volume {store_mount}")
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "config.yaml")
            with open(path, "w") as f:
                f.write(config_text)
            os.chmod(path, 0o600)
            checked = subprocess.run([mailsync, "-c", path, "--json", "config"], capture_output=True, text=True,
                                     env={"PATH": "/usr/bin:/bin", "HOME": scratch})
            if checked.returncode != 0 or checked.stderr:
                fail(f"{name}: mailsync config rejects its configuration: {checked.stderr}")
        print(f"ok: {name} (account {account}: volume {claim}, secret {secret})")


main()
