"""syncdoctor's engine: load rules (with source spans), check them, compile them into
durable-rules, run diagnoses and explain them."""
import sys

SUPPORTED_PYTHONS = ((3, 11), (3, 12))

if sys.version_info[:2] not in SUPPORTED_PYTHONS:  # pragma: no cover - depends on interpreter
    sys.stderr.write(
        "syncdoctor runs on CPython 3.11 or 3.12 only (durable-rules' C core does not build "
        f"or import on {sys.version_info[0]}.{sys.version_info[1]}).\n"
    )
    raise SystemExit(2)
