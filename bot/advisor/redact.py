"""Hide secrets in developers' questions before they reach the LLM or the database.

Developers paste config, stack traces and curl commands; those carry API keys, tokens,
passwords and private keys. Once such a value has been sent to a model provider or
written to the advice log it has to be treated as leaked, so every text is redacted
first. A secret is replaced by ``[REDACTED:<kind>]``, which keeps the question readable
("why does [REDACTED:openai-key] get a 401?") and tells the model what was there.

Finding secrets is left to detect-secrets' plugins: their vendor formats are maintained
upstream, which a private pile of regexes would not be. Only the kinds those plugins
miss get a small named rule here (``_RULES``). The high-entropy plugins stay off: they
would hide hashes, UUIDs and ordinary identifiers that the question is about.

Plugins are called through ``analyze_string`` only, which reads no global settings, and
every table here is immutable, so ``redact`` is safe from any thread or task.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import structlog
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import (
    DENYLIST,
    DENYLIST_REGEX,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    KeywordDetector,
)
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

log = structlog.get_logger(__name__)

_Span = tuple[int, int, str]  # start, end, kind

# Returned if scanning itself fails: passing the text on unscanned could leak a secret.
_UNSCANNABLE: Final = "[REDACTED:unscannable-text]"
# A secret found after another was hidden (regexes with "within 20 characters of"
# context) is caught by the next pass; real texts settle after one or two.
_MAX_PASSES: Final = 4
# A secret is hidden up to the edges of the token it sits in, so no tail of it is left
# (detect-secrets' JWT pattern stops before the signature, GitHub's captures only "ghp").
_TOKEN_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_-")
_GENERIC_KINDS: Final = frozenset({"secret", "password", "bearer-token"})


@dataclass(frozen=True, slots=True)
class _Plugin:
    """A detect-secrets plugin, its placeholder kind and the regexes that locate its hits.

    ``group`` None: hide the capture groups the plugin reported (basic auth reports only
    the password, keeping the URL), else the whole match. A number: hide that group.
    """

    detector: BasePlugin
    kind: str  # "" → named after the key being assigned (see _kind_for_key)
    patterns: tuple[tuple[re.Pattern[str], int | None], ...]


def _plugin(detector: RegexBasedDetector, kind: str) -> _Plugin:
    return _Plugin(detector, kind, tuple((p, None) for p in detector.denylist))


# Left out: high-entropy strings (see above), public IPs (not secrets, and often the
# subject of a question) and Artifactory, whose "AP" + 9 letters also matches words.
_PLUGINS: Final[tuple[_Plugin, ...]] = (
    _plugin(OpenAIDetector(), "openai-key"),
    _plugin(SlackDetector(), "slack-token"),
    _plugin(AWSKeyDetector(), "aws-key"),
    _plugin(GitHubTokenDetector(), "github-token"),
    _plugin(GitLabTokenDetector(), "gitlab-token"),
    _plugin(PrivateKeyDetector(), "private-key"),
    _plugin(BasicAuthDetector(), "password"),
    _plugin(JwtTokenDetector(), "jwt"),
    _plugin(DiscordBotTokenDetector(), "discord-token"),
    _plugin(StripeDetector(), "stripe-key"),
    _plugin(NpmDetector(), "npm-token"),
    _plugin(PypiTokenDetector(), "pypi-token"),
    _plugin(SendGridDetector(), "sendgrid-key"),
    _plugin(TwilioKeyDetector(), "twilio-key"),
    _plugin(MailchimpDetector(), "mailchimp-key"),
    _plugin(TelegramBotTokenDetector(), "telegram-token"),
    _plugin(SquareOAuthDetector(), "square-secret"),
    _plugin(AzureStorageKeyDetector(), "azure-storage-key"),
    _plugin(IbmCloudIamDetector(), "api-key"),  # any 44-char value assigned to *key/token
    _plugin(IbmCosHmacDetector(), "ibm-cos-key"),
    _plugin(CloudantDetector(), "cloudant-key"),
    _plugin(SoftlayerDetector(), "softlayer-key"),
    # `password = "..."`, `"api_key": "..."`: the quotes-required forms, as for code.
    _Plugin(KeywordDetector(), "", tuple(QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP.items())),
)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A secret shape detect-secrets 1.5 has no plugin for; ``group`` is the part to hide."""

    kind: str
    pattern: re.Pattern[str]
    group: int = 0


# detect-secrets flags only the BEGIN line; the base64 body is the actual secret. A
# paste cut short before END loses the lines that are nothing but base64.
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK|)-----"
    r"(?:.*?-----END \1PRIVATE KEY\2-----|(?:\r?\n[ \t]*[A-Za-z0-9+/=]+[ \t]*(?=\r?\n|$))*)",
    re.DOTALL,
)
# `Authorization: Bearer <opaque token>`, `-H "bearer ..."`. A digit and 16+ characters
# keep prose ("bearer tokens expire") and placeholders ("Bearer $TOKEN") readable.
_BEARER = re.compile(
    r"\bbearer[ \t]+(?=[A-Za-z0-9._~+/-]*\d)([A-Za-z0-9._~+/-]{16,}=*)", re.IGNORECASE
)
# `Authorization: Basic dXNlcjpwYXNz` is base64 of "user:password".
_BASIC_HEADER = re.compile(r"\bauthorization:[ \t]*basic[ \t]+([A-Za-z0-9+/]{4,}=*)", re.IGNORECASE)
# URL passwords BasicAuthDetector skips: no user (`redis://:pw@host`) and RFC 3986
# sub-delimiters a real password often has (`postgres://app:pa$$w0rd!@db/x`).
_URL_PASSWORD = re.compile(r"://[^\s:@/?#\[\]]*:([^\s@/?#\[\]]+)@")
# Unquoted `name=value` / `name: value` from .env, INI and YAML files, ~/.aws/credentials,
# libpq DSNs and query strings (`password=s3cr3t`, `passwd: hunter2hunter2`,
# `"pwd": s3cr3t!`), for names on detect-secrets' list of secret-sounding ones. Code
# assigns and annotates the same way (`api_key=api_key`, `password: SecretStr`), so the
# value must also look like a literal: a digit or a symbol.
_ASSIGNMENT = re.compile(
    r"(?<![\w.-])(?P<key>[\w.-]+)[\"']?[ \t]*[:=][ \t]*"
    r"(?P<value>(?![$%{<\[])[^\s;&,'\"`()\[\]{}<>]{4,})"
)
# A config line whose password is all letters (`password: correcthorse`, `DB_PASS=letmein`)
# has no digit or symbol to tell it from code. Only a whole `key: value` line counts,
# so calls and attributes (`password = getpass()`) stay out, and values that are type
# names, null-ish words or the key itself (`password: string;`, `password: SecretStr`,
# `password = password`) are left alone.
_CONFIG_PASSWORD = re.compile(
    r"^[ \t]*(?:export[ \t]+|-[ \t]+)?[\"']?"
    r"(?i:(?:[\w.-]*[_.-])?(?:password|passwd|pwd|pass))[\"']?[ \t]*[:=][ \t]*"
    r"(?!(?i:string|number|boolean|bytes|text|none|null|true|false|undefined|required"
    r"|optional|pass(?:word|wd)?|pwd|secret)\b)(?![A-Z][a-z]+[A-Z])"
    r"([A-Za-z]{4,})[ \t]*[,;]?[ \t]*\r?$",
    re.MULTILINE,
)
_SECRET_NAME = re.compile(DENYLIST_REGEX, re.IGNORECASE)
_SECRET_LOOKING = re.compile(r"[0-9!#$%^*+=~@?]")
# detect-secrets' keyword regexes backtrack over the rest of a word for each secret-ish
# name in it: a line of "secretsecret..." takes minutes. No real name holds four of them.
_CROWDED_WORD = re.compile(rf"(?:(?:{'|'.join(DENYLIST)})\w*?){{4}}", re.IGNORECASE)
_RULES: Final[tuple[_Rule, ...]] = (
    _Rule("private-key", _PEM_PRIVATE_KEY),
    _Rule("bearer-token", _BEARER, 1),
    _Rule("basic-auth", _BASIC_HEADER, 1),
    _Rule("password", _URL_PASSWORD, 1),
    _Rule("password", _CONFIG_PASSWORD, 1),
    # Newer vendor formats: Slack app-level/rotating tokens, GitHub fine-grained PATs.
    _Rule("slack-token", re.compile(r"\bx(?:app|oxe)-\d+-[A-Za-z0-9-]{10,}")),
    _Rule("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    _Rule("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    # Other model providers' `sk-` keys, named before OpenAI's rule claims them.
    _Rule("openrouter-key", re.compile(r"\bsk-or-v1-[A-Za-z0-9]{32,}")),
    _Rule("deepseek-key", re.compile(r"\bsk-[0-9a-f]{32}(?![A-Za-z0-9_-])")),
    # OpenAI keys without the marker detect-secrets looks for (project, service account,
    # admin and legacy keys, or one cut short in a paste): long, and with a digit in it.
    _Rule(
        "openai-key",
        re.compile(
            r"\bsk-(?!ant-|or-v1-|[0-9a-f]{32}(?![A-Za-z0-9_-]))(?:proj-|svcacct-|admin-)?"
            r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}"
        ),
    ),
    _Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    # An AWS secret key in prose or a console paste ("aws secret: wJal..."): detect-secrets
    # wants it quoted. Upper and lower case and a digit keep git SHAs (hex) out.
    _Rule(
        "aws-key",
        re.compile(
            rf"(?i:aws.{{0,20}}?(?:secret|{AWSKeyDetector.secret_keyword}).{{0,20}}?)"
            r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
            r"(?=[A-Za-z0-9/+]{0,39}\d)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        1,
    ),
    # Azure OpenAI keys are 32 hex digits, like any MD5, so only their context tells:
    # "azure ... key" or the `api-key` header Azure reads them from.
    _Rule(
        "azure-openai-key",
        re.compile(
            r"(?i:azure[\w .-]{0,30}?key|\bapi-key)[\"']?[ \t]*[:=]?[ \t]*[\"']?"
            r"([0-9a-fA-F]{32})(?![A-Za-z0-9_-])"
        ),
        1,
    ),
    # A W&B key is 40 hex digits, like a git SHA: only `wandb login` or its variable tells.
    _Rule(
        "wandb-key",
        re.compile(
            r"(?i:\bwandb(?:[ .]login|_api_key))[(:= \t]+(?:--[\w-]+[ \t]+)*"
            r"(?:key[ \t]*=[ \t]*)?[\"']?([0-9a-f]{40})(?![A-Za-z0-9_-])"
        ),
        1,
    ),
    # AI platforms' prefixed keys, found wherever they stand (`login("hf_...")`, a curl
    # header, a notebook cell), not only after a `*_API_KEY=`. Their bodies are long runs
    # of letters and digits, which code identifiers with the same prefix are not.
    _Rule("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{34,}")),
    _Rule("pinecone-key", re.compile(r"\bpcsk_[A-Za-z0-9]{4,}_[A-Za-z0-9]{30,}")),
    _Rule("groq-key", re.compile(r"\bgsk_[A-Za-z0-9]{40,}")),
    _Rule("replicate-token", re.compile(r"\br8_[A-Za-z0-9]{30,}")),
    _Rule("together-key", re.compile(r"\btgp_v1_[A-Za-z0-9_-]{30,}")),
    # Fireworks' body is short; an all-lowercase one is a firmware name (`fw_...`).
    _Rule("fireworks-key", re.compile(r"\bfw_(?=[a-z]*[A-Z0-9])[A-Za-z0-9]{20,}")),
    _Rule("voyage-key", re.compile(r"\bpa-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{40,}")),
    _Rule("langsmith-key", re.compile(r"\blsv2_[a-z]{2}_[0-9a-f]{32}_[0-9a-f]{10}")),
    _Rule("perplexity-key", re.compile(r"\bpplx-[A-Za-z0-9]{40,}")),
    _Rule("xai-key", re.compile(r"\bxai-[A-Za-z0-9]{40,}")),
)


def redact(text: str) -> str:
    """Return ``text`` with every secret found replaced by ``[REDACTED:<kind>]``.

    Everything else is returned unchanged. Never raises: if scanning fails the whole
    text is withheld, because sending it on unscanned could leak a secret.
    """
    try:
        for _ in range(_MAX_PASSES):
            redacted = _redact_once(text)
            if redacted == text:
                break
            text = redacted
        return text
    except Exception:
        log.exception("redaction_failed", length=len(text))  # never log the text itself
        return _UNSCANNABLE


def _redact_once(text: str) -> str:
    """Replace each found span, merging overlaps (a key in a PEM block is one secret).

    Of overlapping spans the earliest, then longest, names the placeholder; on a tie a
    vendor's name beats the generic one (`OPENAI_API_KEY=sk-...` holds an openai-key).
    """
    spans = sorted(_find(text), key=lambda s: (s[0], -s[1], s[2] in _GENERIC_KINDS))
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    cur_start, cur_end, cur_kind = spans[0]
    for start, end, kind in spans[1:]:
        if start < cur_end:
            cur_end = max(cur_end, end)
            continue
        parts += [text[pos:cur_start], f"[REDACTED:{cur_kind}]"]
        pos = cur_end
        cur_start, cur_end, cur_kind = start, end, kind
    parts += [text[pos:cur_start], f"[REDACTED:{cur_kind}]", text[cur_end:]]
    return "".join(parts)


def _find(text: str) -> Iterator[_Span]:
    """Yield every secret's span, widened to the whole token it sits in."""
    for start, end, kind in _find_raw(text):
        while start > 0 and text[start - 1] in _TOKEN_CHARS:
            start -= 1
        while end < len(text) and text[end] in _TOKEN_CHARS:
            end += 1
        if start < end:
            yield start, end, kind


def _find_raw(text: str) -> Iterator[_Span]:
    """Our rules see the whole text (a PEM block spans lines); the plugins one line each."""
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            yield m.start(rule.group), m.end(rule.group), rule.kind
    for m in _ASSIGNMENT.finditer(text):
        if _SECRET_NAME.search(m["key"]) and _SECRET_LOOKING.search(m["value"]):
            yield m.start("value"), m.end("value"), _kind_for_key(m["key"])
    # detect-secrets scans line by line and its patterns assume that.
    offset = 0
    for line in text.splitlines(keepends=True):
        yield from _plugin_spans(line, offset)
        offset += len(line)


def _plugin_spans(line: str, offset: int) -> Iterator[_Span]:
    """Ask each plugin whether the line holds a secret, then locate what it reported."""
    for plugin in _PLUGINS:
        if isinstance(plugin.detector, KeywordDetector) and _CROWDED_WORD.search(line):
            continue
        reported = set(plugin.detector.analyze_string(line))
        if not reported:
            continue
        for pattern, group in plugin.patterns:
            for m in pattern.finditer(line):
                if group is not None:
                    key = line[m.start() : m.start(group)] + line[m.end(group) : m.end()]
                    kind = plugin.kind or _kind_for_key(key)
                    yield offset + m.start(group), offset + m.end(group), kind
                    continue
                hits = [g for g in range(1, pattern.groups + 1) if m.group(g) in reported]
                if not hits and m.group(0) in reported:
                    hits = [0]
                for g in hits:
                    yield offset + m.start(g), offset + m.end(g), plugin.kind


def _kind_for_key(key: str) -> str:
    """Name a value after what it is assigned to: `DB_PASSWORD=` holds a password."""
    key = key.lower()
    if "aws" in key:
        return "aws-key"
    if any(word in key for word in ("pass", "pwd", "contras")):
        return "password"
    return "secret"
