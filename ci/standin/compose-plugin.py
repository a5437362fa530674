#!/usr/bin/python3
"""Stand-in image only: a docker compose v2 CLI plugin for Debian 12, which
packages Docker but no compose v2 (Ubuntu's docker-compose-v2 is the real
thing). Once the real docker.io is installed (offline builds install it from
the medium), `docker compose ... up -d` runs every service of the compose
file as a real container with `docker run`: the image named in the file
(never pulled when pull_policy is never), the environment interpolated from
--env-file (${KEY:?msg} fails when KEY is missing). The stand-in kernel has
no bridge or netfilter modules, so containers share the guest's network
(the services bind 127.0.0.1, as the compose file's port mappings would make
them reachable). Also: version, config, pull (a no-op), down."""
import json
import re
import subprocess
import sys

import yaml

args = sys.argv[1:]
if args[:1] == ["docker-cli-plugin-metadata"]:
    print(json.dumps({"SchemaVersion": "0.1.0", "Vendor": "UnisonOS stand-in",
                      "Version": "v2.0.0-unison-standin", "ShortDescription": "compose stand-in (tests)"}))
    sys.exit(0)
if args[:1] == ["compose"]:
    args = args[1:]
env_file, files, rest = None, [], []
i = 0
while i < len(args):
    if args[i] in ("--env-file", "-f", "--project-directory", "-p", "--project-name"):
        if args[i] == "--env-file":
            env_file = args[i + 1]
        elif args[i] == "-f":
            files.append(args[i + 1])
        i += 2
        continue
    rest.append(args[i])
    i += 1
cmd = rest[0] if rest else ""
if cmd == "version":
    print("Docker Compose version v2.0.0-unison-standin")
    sys.exit(0)
env = {}
if env_file:
    for line in open(env_file):
        line = line.rstrip("\n")
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            env[k] = v


def interp(value):
    def one(m):
        key, op, msg = m.group(1), m.group(2) or "", m.group(3) or ""
        if key in env and env[key] != "":
            return env[key]
        if op == ":?":
            sys.exit("compose stand-in: required variable %s is missing a value: %s" % (key, msg))
        return msg if op == ":-" else ""
    return re.sub(r"\$\{(\w+)(:[-?])?([^}]*)\}", one, str(value))


doc = yaml.safe_load(open(files[0] if files else "compose.yaml"))
services = doc.get("services", {})
if cmd == "config":
    for svc in services.values():
        svc["environment"] = {k: interp(v) for k, v in (svc.get("environment") or {}).items()}
    print(yaml.safe_dump(doc))
    sys.exit(0)
if cmd == "pull":
    sys.exit(0)
project = doc.get("name", "compose")
for name, svc in services.items():
    cname = "%s-%s-1" % (project, name)
    subprocess.run(["docker", "rm", "-f", cname], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if cmd != "up":
        continue
    run = ["docker", "run", "-d", "--name", cname, "--network", "host", "--restart", "unless-stopped"]
    if svc.get("pull_policy") == "never":
        run += ["--pull", "never"]
    for k, v in (svc.get("environment") or {}).items():
        run += ["-e", "%s=%s" % (k, interp(v))]
    r = subprocess.run(run + [svc["image"]])
    if r.returncode != 0:
        sys.exit("compose stand-in: %s did not start" % name)
    print("compose stand-in: started %s (%s)" % (cname, svc["image"]))
