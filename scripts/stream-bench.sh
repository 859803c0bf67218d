#!/usr/bin/env bash
# Layer-streaming benchmark: decode speed at prefetch depths 0, 1, 2, 4 and auto under one memory budget,
# against max(I/O time, compute time) per token measured in the same run.
#
#   scripts/stream-bench.sh MODEL BUDGET [ROUNDS] [TOKENS]
#
# MODEL   a GGUF file (e.g. a synthetic 1.1B Q4_0: ../shared/tools/synth_gguf.py --preset tinyllama-1.1b --type q4_0)
# BUDGET  --memory-budget, e.g. 150M (about a quarter of the model)
# ROUNDS  rounds of alternating runs (default 3); the table shows medians over the rounds
# TOKENS  tokens generated per run (default 32)
#
# Environment: CONTEXT (-c, default 128: a small KV cache leaves the budget to the layers), EXTRA (more flags
# for `aircela run`, e.g. "--no-direct-io" or "-t 2"), DEPTHS (default "0 1 2 4 auto"), KEEP (a folder that
# keeps every run's JSON and stderr).
# Cold reads: streamed layers are read with O_DIRECT (the default; the plan line says when the file system
# refused), and the file is evicted from the page cache before every run.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
MODEL="$1"; BUDGET="$2"; ROUNDS="${3:-3}"; TOKENS="${4:-32}"
CONTEXT="${CONTEXT:-128}"; DEPTHS="${DEPTHS:-0 1 2 4 auto}"; EXTRA="${EXTRA:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${KEEP:-}" ]; then
  OUT="$KEEP"; mkdir -p "$OUT"
else
  OUT="$(mktemp -d "${TMPDIR:-/tmp}/stream-bench.XXXXXX")"
  trap 'rm -rf "$OUT"' EXIT
fi

evict() {
  python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
finally: os.close(fd)' "$MODEL" 2>/dev/null || true
}

echo "stream-bench: $MODEL, budget $BUDGET, context $CONTEXT, $TOKENS tokens, $ROUNDS rounds of depths: $DEPTHS" >&2
echo "stream-bench: $(nproc 2>/dev/null || echo '?') cores; load before: $(uptime | sed 's/.*load average/load average/')" >&2
"$ROOT/aircela" backends >/dev/null 2>&1 || true # builds once, outside the timed runs
for round in $(seq 1 "$ROUNDS"); do
  for depth in $DEPTHS; do
    evict
    # shellcheck disable=SC2086
    if "$ROOT/aircela" run -m "$MODEL" -p "Hello" -n "$TOKENS" -c "$CONTEXT" --memory-budget "$BUDGET" \
         --prefetch-depth "$depth" --json $EXTRA >"$OUT/$depth.$round.json" 2>"$OUT/$depth.$round.err"; then
      echo "stream-bench: round $round depth $depth: $(grep -o 'generated [0-9]* tokens, [0-9.]* tokens/s' "$OUT/$depth.$round.err" || true)" >&2
    else
      echo "stream-bench: round $round depth $depth failed:" >&2
      tail -n 3 "$OUT/$depth.$round.err" >&2
      rm -f "$OUT/$depth.$round.json"
    fi
  done
done
echo "stream-bench: load after: $(uptime | sed 's/.*load average/load average/')" >&2

python3 - "$OUT" "$DEPTHS" <<'PY'
import glob, json, os, statistics, sys

out, depths = sys.argv[1], sys.argv[2].split()

def per_run(path):
    j = json.load(open(path))
    t = j["timings"]
    s = j["streaming"].get("decode", j["streaming"])  # decode passes only, when the CLI reports them
    passes = max(1, s.get("forward_passes", 0))
    io, comp = s["io_ms"] / passes, s["compute_ms"] / passes
    ms = 1000.0 / t["decode_tokens_per_s"]
    return {"tps": t["decode_tokens_per_s"], "ms": ms, "io": io, "comp": comp, "max": max(io, comp),
            "ratio": ms / max(io, comp), "depth": s["prefetch_depth"], "resident": s["resident_layers"],
            "streamed": s["streamed_layers"], "mib": s["bytes_read_per_token"] / 2**20}

rows = {}
for d in depths:
    runs = [per_run(p) for p in sorted(glob.glob(os.path.join(out, d + ".*.json")))]
    if runs:
        rows[d] = {k: statistics.median(r[k] for r in runs) for k in runs[0]} | {"n": len(runs)}
base = rows.get("0", {}).get("ms")
print("| depth | runs | resident/streamed | MiB read/token | decode tok/s | ms/token | I/O ms/token | compute ms/token "
      "| max(I/O, compute) | ms/token ÷ max | speed-up vs depth 0 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for d, r in rows.items():
    label = d if d != "auto" else "auto (%d)" % r["depth"]
    speedup = "%.2f×" % (base / r["ms"]) if base else "n/a"
    print("| %s | %d | %d/%d | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f | %.2f | %s |" % (
        label, r["n"], r["resident"], r["streamed"], r["mib"], r["tps"], r["ms"], r["io"], r["comp"], r["max"],
        r["ratio"], speedup))
print("\nmedians over the runs (ms/token ÷ max: the median of each run's own ratio); I/O and compute per decode pass"
      " of the same run (I/O: wall time with a load running)")
PY
