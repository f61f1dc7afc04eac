"""Prints the queue benchmark's medians side by side, with the sidecar's ratio to each peer."""

import json
import os
import sys

out = sys.argv[1]
results = {}
for name in sorted(os.listdir(out)):
    if name.startswith("results_") and name.endswith(".json"):
        with open(os.path.join(out, name)) as f:
            data = json.load(f)
        results[data["peer"]] = data["median"]

metrics = [
    ("enq_single_jobs_s", "enqueue single /s", True),
    ("enq_batch_jobs_s", "enqueue batch /s", True),
    ("drain_e2e_jobs_s", "drain e2e /s", True),
    ("drain_processing_jobs_s", "drain first→last /s", True),
    ("lat_p50_ms", "latency p50 ms", False),
    ("lat_p99_ms", "latency p99 ms", False),
    ("drain_worker_peak_rss_mb", "worker RSS MB", False),
]
names = list(results)
print("| metric | " + " | ".join(names) + " |")
print("|---|" + "---|" * len(names))
for key, label, _ in metrics:
    print(f"| {label} | " + " | ".join(f"{results[n].get(key, float('nan')):,.1f}" for n in names) + " |")

print()
for ours in [n for n in names if n.startswith("zoho-sidecar")]:
    for peer in [n for n in names if not n.startswith("zoho-sidecar")]:
        parts = []
        for key, label, higher in metrics:
            a, b = results[ours].get(key), results[peer].get(key)
            if a and b:
                parts.append(f"{label} {a / b if higher else b / a:.2f}x")
        print(f"{ours} vs {peer}: " + ", ".join(parts) + "  (>1: sidecar better)")
for ours in [n for n in names if n.startswith("zoho-sidecar")]:
    extra = {k: v for k, v in results[ours].items() if k.startswith("million")}
    if extra:
        print(f"{ours}: {extra}")
