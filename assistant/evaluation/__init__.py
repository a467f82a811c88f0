"""Evaluation and benchmarks, one home (`manage.py evaluate`, `manage.py bench`).

Retrieval on real public text the project did not write: builders (manpages.py, pydocs.py) turn
Debian packages into evaluation sets (dataset.py); metrics.py scores ranked lists (and holds the
nearest-rank percentile of every report here); retrieval.py indexes a set into a temporary store
and runs the three search modes; report.py writes JSON and Markdown under RAG_DATA_DIR/eval/.
Answers: answers.py reads Exchange.metrics; grounding.py scores the answer paths on the generated
set of grounding_set.py. Redaction: redaction.py is the PII evaluation set and its scorer.
bench/: the benchmark harness and one module per benchmark, each against the raw library.
"""
