"""Settings of the test suite: the product's settings, plus the test doubles registered with the
product's factories. The environment still chooses every value (RAG_LLM_BACKEND stays llamacpp
unless a test selects the fake with `settings.RAG_LLM_BACKEND = "fake"`)."""

from assistant.backends.llm_factory import register_llm_backend
from assistant.settings import *  # noqa: F403

# By dotted path: loading the settings imports no test double.
register_llm_backend("fake", "tests.fakes.llm.FakeLLM", in_process=True)
