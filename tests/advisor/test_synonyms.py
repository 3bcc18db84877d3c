"""The synonym map widens a question to the words the playbook uses for the same thing."""

from __future__ import annotations

from pathlib import Path

from bot.advisor.synonyms import SynonymMap, default_synonyms


def test_shipped_map_is_versioned_and_expands_the_field_s_jargon() -> None:
    synonyms = default_synonyms()
    assert synonyms.version
    assert ("rate", "limit") in synonyms.expand("We keep getting 429s from OpenAI")
    assert ("llm",) in synonyms.expand("Which large language models are cheapest?")
    assert ("retrieval", "augmented", "generation") in synonyms.expand("Is RAG worth it?")
    assert ("vectors",) in synonyms.expand("Where should our embeddings live?")
    assert ("fine", "tune") in synonyms.expand("Should we train on our tickets?")
    assert ("kubernetes",) in synonyms.expand("our vLLM pods on k8s start slowly")


def test_words_outside_every_group_add_nothing_and_asked_words_are_not_repeated() -> None:
    synonyms = default_synonyms()
    assert synonyms.expand("what's the weather in Lisbon tomorrow?") == []
    assert ("429",) not in synonyms.expand("a 429 again")


def test_phrases_match_only_as_consecutive_words(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.toml"
    path.write_text('version = "t1"\n[[group]]\nterms = ["rate limit", "throttling"]\n')
    synonyms = SynonymMap.load(path)
    assert synonyms.version == "t1"
    assert synonyms.expand("we hit the rate limit") == [("throttling",)]
    assert synonyms.expand("the limit on our rate of hiring") == []
    assert synonyms.expand("Rate-limits again!") == [("throttling",)]
