#!/usr/bin/env bash
# Send the sample AdmissionReviews in examples/admission/ to a Portcullis server and show what the
# API server would get back: an allow, a JSONPatch (decoded), and a denial. With hybrid enforcement
# (the reference set) most validations run in the API server as ValidatingAdmissionPolicies: for each
# example the script also prints what those decide (scripts/native-decision.ts, evaluated with the
# test harness's CEL implementation; dist/45-native-policies.k8s.yaml as synthesized).
#
#   npm start                          # terminal 1: synth + serve dist/ on https://localhost:8443
#   scripts/try-admission.sh           # terminal 2: talk to it
#   scripts/try-admission.sh --enforce # no server needed: starts its own on a free port with the
#                                      # reference policies switched to Enforce, to show a 403 denial
#
# Environment: PORTCULLIS_URL (default https://localhost:8443), PORTCULLIS_CA (default
# .dev-certs/ca.crt, written by `portcullis serve --dev`), PORTCULLIS_BUNDLE_FILE (default
# dist/portcullis-bundle.json, used to find the webhook paths).
#
# The equivalent single curl call:
#   curl --cacert .dev-certs/ca.crt -H 'Content-Type: application/json' \
#        --data @examples/admission/pod-create-no-resources.json https://localhost:8443/mutate/ignore-5s
set -euo pipefail
cd "$(dirname "$0")/.."

URL=${PORTCULLIS_URL:-https://localhost:8443}
CA=${PORTCULLIS_CA:-.dev-certs/ca.crt}
BUNDLE=${PORTCULLIS_BUNDLE_FILE:-dist/portcullis-bundle.json}
server_pid=""
tmp=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

[ -f "$BUNDLE" ] || { echo "no $BUNDLE: run 'npm run synth' first" >&2; exit 1; }

if [ "${1:-}" = "--enforce" ]; then
  tmp=$(mktemp -d)
  # The reference bundle with every policy in Enforce (validated exactly as the runtime would).
  node --import tsx -e '
    const { readFileSync, writeFileSync } = require("node:fs");
    const { validateBundle, prettyCanonicalJson } = require("./runtime/bundle");
    const b = JSON.parse(readFileSync(process.argv[1], "utf8"));
    for (const p of b.policies) p.mode = "Enforce";
    writeFileSync(process.argv[2], prettyCanonicalJson(validateBundle(b).bundle));
  ' "$BUNDLE" "$tmp/bundle.json"
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  node --import tsx runtime/cli/main.ts serve --dev --dev-certs-dir "$tmp/certs" --bundle "$tmp/bundle.json" --port "$port" \
    >"$tmp/server.log" 2>&1 &
  server_pid=$!
  URL="https://localhost:$port"
  CA="$tmp/certs/ca.crt"
  BUNDLE="$tmp/bundle.json"
  for _ in $(seq 1 100); do
    if [ -f "$CA" ] && curl -fsS --cacert "$CA" "$URL/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  echo "started a server with every reference policy in Enforce on $URL (log: $tmp/server.log)"
fi

[ -f "$CA" ] || { echo "no CA certificate at $CA: start the server with 'npm start' (or set PORTCULLIS_CA)" >&2; exit 1; }
curl -fsS --cacert "$CA" "$URL/readyz" >/dev/null || { echo "no ready server at $URL (start it with 'npm start')" >&2; exit 1; }

# The webhook paths, from the bundle: the mutating entry that defaults resources, and the
# validating entry that serves the most policies.
read -r MUTATE VALIDATE < <(node -e '
  const b = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const m = b.webhooks.find((w) => w.type === "mutating" && w.policies.includes("resource-defaults")) || b.webhooks.find((w) => w.type === "mutating");
  const v = b.webhooks.filter((w) => w.type === "validating").sort((x, y) => y.policies.length - x.policies.length)[0];
  console.log(m.path, v.path);
' "$BUNDLE")

show() { # title, path, example file
  echo
  echo "== $1"
  echo "   POST $2  <  $3"
  curl -sS --cacert "$CA" -H 'Content-Type: application/json' --data @"$3" "$URL$2" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s).response;
      if (r === undefined) { console.log("   HTTP error:", s); return; }
      console.log(`   uid ${r.uid}  allowed: ${r.allowed}`);
      if (r.status) console.log(`   status ${r.status.code} ${r.status.reason}:\n     ${r.status.message.split("\n").join("\n     ")}`);
      for (const w of r.warnings || []) console.log(`   Warning: ${w}`);
      for (const [k, v] of Object.entries(r.auditAnnotations || {})) console.log(`   auditAnnotation ${k}: ${v}`);
      if (r.patch) {
        console.log(`   patchType ${r.patchType}; the base64 patch decodes to:`);
        for (const op of JSON.parse(Buffer.from(r.patch, "base64").toString())) console.log(`     ${JSON.stringify(op)}`);
      }
    });'
  if [ -n "${4:-}" ] && [ -f dist/45-native-policies.k8s.yaml ]; then node --import tsx scripts/native-decision.ts "$3"; fi
}

show "allow: a compliant Pod" "$VALIDATE" examples/admission/pod-create-compliant.json native
show "patch: a Pod without resources or seccomp profile (mutating webhook)" "$MUTATE" examples/admission/pod-create-no-resources.json
show "deny (Enforce) or warn (Audit): a privileged Pod on the host network" "$VALIDATE" examples/admission/pod-create-privileged.json native
show "delete: allowed unevaluated" "$VALIDATE" examples/admission/pod-delete.json
if [ -z "$server_pid" ]; then
  echo
  echo "(the shipped reference policies start in Audit: run 'scripts/try-admission.sh --enforce' to see the 403 denial)"
fi
