"""Routing by data sensitivity: which model answers a question, in which order of fallback.

config.py parses and validates RAG_ROUTING (at settings load, so a bad policy stops start-up),
policy.py chooses the route chain of one request and enforces the locality invariant,
breaker.py keeps a circuit breaker per route, backends.py builds the model of a route, and
chain.py tries the chain in order for the answering pipeline (assistant.chat.answering).
Nothing here imports a heavy library at module level.
"""
