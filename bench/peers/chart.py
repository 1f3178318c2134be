"""Draw bench/results/http.png from the JSON that bench/http_bench.py writes.

Run with bench/.venv-peers/bin/python, so matplotlib never becomes a dependency of the app.
Usage: chart.py RESULTS.json OUTPUT.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as handle:
        data = json.load(handle)
    databases: list[str] = list(data["databases"])
    scenarios: list[str] = data["scenarios"]
    height = 0.8 / len(databases)
    figure, axes = plt.subplots(figsize=(10, 0.5 * len(scenarios) * len(databases) + 1.8))
    for index, database in enumerate(databases):
        rates = data["databases"][database]
        positions = [row + index * height for row in range(len(scenarios))]
        # Rows measured on one database only (the Flask floor, SQLite) get no bar on the others.
        values = [rates.get(name, 0.0) for name in scenarios]
        bars = axes.barh(positions, values, height, label=database)
        labels = [f"{rates[name]:,.0f}" if name in rates else "" for name in scenarios]
        axes.bar_label(bars, labels=labels, padding=3, fontsize=8)
    axes.set_yticks([row + height * (len(databases) - 1) / 2 for row in range(len(scenarios))])
    axes.set_yticklabels(scenarios)
    axes.invert_yaxis()
    axes.set_xlabel("requests per second (median of rounds; higher is better)")
    axes.set_title(data["title"], fontsize=10)
    axes.margins(x=0.15)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main()
