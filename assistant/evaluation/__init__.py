"""Retrieval and answer evaluation on real public text the project did not write.

builders (manpages.py, pydocs.py) turn Debian packages into evaluation sets; metrics.py scores
ranked lists; retrieval.py indexes a set into a temporary store and runs the three search modes;
report.py writes JSON and Markdown under RAG_DATA_DIR/eval/; answers.py reads Exchange.metrics.
"""
