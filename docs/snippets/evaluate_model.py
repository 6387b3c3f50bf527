"""Evaluate a trained model folder on a labelled split from Python."""

from __future__ import annotations

from fer_sdk.evaluation import evaluate

report = evaluate("../shared/datasets/fer2013", "PublicTest", "runs/fernet_fer7")
print(report.table())
print(f"accuracy {report.accuracy:.3f} on {report.n} images")
