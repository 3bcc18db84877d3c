"""Secrets pasted into a question never reach the LLM or the database; the question survives.

The fake secrets are built from pieces so that secret scanners (and GitHub push
protection) do not mistake this file for a leak.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.advisor import redact as redact_module
from bot.advisor.redact import redact

OPENAI_MARK = "T3Blbk" + "FJ"  # every OpenAI key carries base64("OpenAI")
OPENAI_PROJECT = (
    "sk-" + "proj-Rk3mVq8ZtLw2Hx9NcYp4_Ab1Cd2Ef3Gh4Ij5Kl6Mn" + OPENAI_MARK + "Op7Qr8St9Uv0Wx1Yz2Ab"
)
OPENAI_LEGACY = "sk-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn" + OPENAI_MARK + "Op7Qr8St9Uv0Wx1Yz2Ab"
SLACK_BOT = "xox" + "b-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_USER = "xox" + "p-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef"
SLACK_APP = "xap" + "p-1-A0123ABCDEF-1234567890123-" + "0123456789abcdef" * 4
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documented example values
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB_CLASSIC = "gh" + "p_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB_FINE = (
    "github"
    + "_pat_11AAQ5JTY0aBcDeFgHiJkL_"
    + "Zq8Wv3Xr5Ty1Uo7Ip4As6Df2Gh9Jk0Lz3Xc5Vb8Nm1Qw4Er7Ty2Ui6Op9As3D"
)
ANTHROPIC = "sk-" + "ant-api03-Zq8Wv3Xr5Ty1Uo7Ip4As6Df2Gh9Jk0Lz3Xc5Vb8Nm1Qw4Er7Ty2Ui-AA"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
BEARER = "7f9c2ba4e88f827d616045507605853e" + "d73b8093f6efbc88"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
HF = "hf" + "_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"  # letters only, like the real ones
PINECONE = "pcsk" + "_4Xy7Q_Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St"
GROQ = "gsk" + "_Rk3mVq8ZtLw2Hx9NcYp4WGdyb3FYAb1Cd2Ef3Gh4Ij5Kl6Mn7Op8Q"
REPLICATE = "r8" + "_Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5K"
TOGETHER = "tgp" + "_v1_Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6Mn7O"
FIREWORKS = "fw" + "_3ZkTsQ9Lm2Xv7Yp1Ra8Wc4Hd"
VOYAGE = "pa" + "-Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op"
LANGSMITH = "lsv2" + "_pt_0123456789abcdef0123456789abcdef_0a1b2c3d4e"
OPENROUTER = "sk" + "-or-v1-" + "0123456789abcdef" * 4
PERPLEXITY = "pplx" + "-Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St"
DEEPSEEK = "sk" + "-0123456789abcdef0123456789abcdef"
XAI = "xai" + "-Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0"
WANDB = "9f86d081884c7d659a2f" + "eaa0c55ad015a3bf4f1b"
AZURE_OPENAI = "0123456789abcdef" + "fedcba9876543210"
KEY_BODY = (
    "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi2b5ZBLdYh3wK1mRKu4sVpN0sU",
    "kXo5bL1Ny3Qm3pW7uB9cYzHq8Ok6D0iVnJ2cT7fF4rGhA1sE5wX8yQ2tN6uM0vLp",
    "yU7iO1pA5sD9fG3hJ7kL1zX5cV9bN3mQ7wE1rT5yU9iO3pA7sD1fG5hJ9kL3zX7c",
    "Zr9cK3jH7gF5dS1aQ8wE4rT6yU2iO0pA9sD3fG7hJ1kL5zX8==",
)
RSA_BLOCK = "\n".join(
    ["-----BEGIN RSA " + "PRIVATE KEY-----", *KEY_BODY, "-----END RSA PRIVATE KEY-----"]
)

# (text, what must come back, the secret that must be gone)
REDACTED = [
    pytest.param(
        f"Why does OpenAI(api_key='{OPENAI_PROJECT}') return 401?",
        "Why does OpenAI(api_key='[REDACTED:openai-key]') return 401?",
        OPENAI_PROJECT,
        id="openai-project-key",
    ),
    pytest.param(
        f"export OPENAI_API_KEY={OPENAI_LEGACY}\nthen python app.py",
        "export OPENAI_API_KEY=[REDACTED:openai-key]\nthen python app.py",
        OPENAI_LEGACY,
        id="openai-legacy-key",
    ),
    pytest.param(
        f"SLACK_BOT_TOKEN={SLACK_BOT} gives invalid_auth",
        "SLACK_BOT_TOKEN=[REDACTED:slack-token] gives invalid_auth",
        SLACK_BOT,
        id="slack-bot-token",
    ),
    pytest.param(
        f'WebClient(token="{SLACK_USER}")',
        'WebClient(token="[REDACTED:slack-token]")',
        SLACK_USER,
        id="slack-user-token",
    ),
    pytest.param(
        f"Socket mode needs SLACK_APP_TOKEN={SLACK_APP}, right?",
        "Socket mode needs SLACK_APP_TOKEN=[REDACTED:slack-token], right?",
        SLACK_APP,
        id="slack-app-token",
    ),
    pytest.param(
        f"[default]\naws_access_key_id = {AWS_KEY_ID}\n"
        f"aws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1",
        "[default]\naws_access_key_id = [REDACTED:aws-key]\n"
        "aws_secret_access_key = [REDACTED:aws-key]\nregion = eu-west-1",
        AWS_SECRET,
        id="aws-credentials-file",
    ),
    pytest.param(
        f'boto3.client("s3", aws_access_key_id="{AWS_KEY_ID}", '
        f'aws_secret_access_key="{AWS_SECRET}")',
        'boto3.client("s3", aws_access_key_id="[REDACTED:aws-key]", '
        'aws_secret_access_key="[REDACTED:aws-key]")',
        AWS_KEY_ID,
        id="aws-keys-in-code",
    ),
    pytest.param(
        f"git clone https://{GITHUB_CLASSIC}@github.com/acme/api.git fails",
        "git clone https://[REDACTED:github-token]@github.com/acme/api.git fails",
        GITHUB_CLASSIC,
        id="github-classic-token",
    ),
    pytest.param(
        f"curl -H 'Authorization: token {GITHUB_FINE}' https://api.github.com/user",
        "curl -H 'Authorization: token [REDACTED:github-token]' https://api.github.com/user",
        GITHUB_FINE,
        id="github-fine-grained-token",
    ),
    pytest.param(
        f"paramiko rejects this key:\n{RSA_BLOCK}\nwhat format does it want?",
        "paramiko rejects this key:\n[REDACTED:private-key]\nwhat format does it want?",
        KEY_BODY[2],
        id="pem-private-key-block",
    ),
    pytest.param(
        f"this got cut off:\n{RSA_BLOCK.split('-----END')[0]}",
        "this got cut off:\n[REDACTED:private-key]\n",
        KEY_BODY[3],
        id="pem-private-key-truncated",
    ),
    pytest.param(
        '{"type": "service_account", "private_key": "-----BEGIN PRIVATE '
        f'KEY-----\\n{KEY_BODY[0]}\\n-----END PRIVATE KEY-----\\n", "client_email": "a@b.c"}}',
        '{"type": "service_account", "private_key": "[REDACTED:private-key]\\n", '
        '"client_email": "a@b.c"}',
        KEY_BODY[0],
        id="pem-key-in-service-account-json",
    ),
    pytest.param(
        f"curl -H 'Authorization: Bearer {BEARER}' https://api.acme.dev/v1/users",
        "curl -H 'Authorization: Bearer [REDACTED:bearer-token]' https://api.acme.dev/v1/users",
        BEARER,
        id="bearer-header",
    ),
    pytest.param(
        "curl -H 'Authorization: Basic dXNlcjpodW50ZXIy' https://api.acme.dev",
        "curl -H 'Authorization: Basic [REDACTED:basic-auth]' https://api.acme.dev",
        "dXNlcjpodW50ZXIy",  # base64("user:hunter2")
        id="basic-auth-header",
    ),
    pytest.param(
        f"ANTHROPIC_API_KEY={ANTHROPIC} and GOOGLE_API_KEY={GOOGLE}",
        "ANTHROPIC_API_KEY=[REDACTED:anthropic-key] and GOOGLE_API_KEY=[REDACTED:google-api-key]",
        ANTHROPIC,
        id="anthropic-and-google-keys",
    ),
    pytest.param(
        "DATABASE_URL=postgresql://app:s3cr3t@db:5432/x",
        "DATABASE_URL=postgresql://app:[REDACTED:password]@db:5432/x",
        "s3cr3t",
        id="postgres-url-password",
    ),
    pytest.param(
        "REDIS_URL=redis://:pass@host:6379/0 times out",
        "REDIS_URL=redis://:[REDACTED:password]@host:6379/0 times out",
        ":pass@",
        id="redis-url-password-without-user",
    ),
    pytest.param(
        "see https://deploy:pa$$w0rd!@ci.acme.dev/job/1",
        "see https://deploy:[REDACTED:password]@ci.acme.dev/job/1",
        "pa$$w0rd!",
        id="url-password-with-symbols",
    ),
    pytest.param(
        "psycopg.connect('host=db port=5432 user=app password=s3cr3t dbname=x')",
        "psycopg.connect('host=db port=5432 user=app password=[REDACTED:password] dbname=x')",
        "s3cr3t",
        id="libpq-dsn-password",
    ),
    pytest.param(
        "Server=tcp:db,1433;Database=x;User Id=app;Password=Hunter2!;Encrypt=true",
        "Server=tcp:db,1433;Database=x;User Id=app;Password=[REDACTED:password];Encrypt=true",
        "Hunter2!",
        id="ado-connection-string-password",
    ),
    pytest.param(
        'DB_PASSWORD = "Tr0ub4dor&3"  # TODO move to vault',
        'DB_PASSWORD = "[REDACTED:password]"  # TODO move to vault',
        "Tr0ub4dor&3",
        id="quoted-password-assignment",
    ),
    pytest.param(
        f"requests.get(url, headers={{'Authorization': '{JWT}'}}) -> 403",
        "requests.get(url, headers={'Authorization': '[REDACTED:jwt]'}) -> 403",
        JWT.rsplit(".", 1)[1],  # the signature too, not just header and payload
        id="jwt",
    ),
    pytest.param(
        f"export HF_TOKEN={HF}\nthen huggingface_hub.login('{HF}') says 401",
        "export HF_TOKEN=[REDACTED:huggingface-token]\n"
        "then huggingface_hub.login('[REDACTED:huggingface-token]') says 401",
        HF,
        id="huggingface-token",
    ),
    pytest.param(
        f"pc = Pinecone('{PINECONE}'); Groq(api_key=key) with key {GROQ}",
        "pc = Pinecone('[REDACTED:pinecone-key]'); Groq(api_key=key) with key [REDACTED:groq-key]",
        PINECONE,
        id="pinecone-and-groq-keys",
    ),
    pytest.param(
        f"my groq key {GROQ} is rate limited",
        "my groq key [REDACTED:groq-key] is rate limited",
        GROQ,
        id="groq-key-in-prose",
    ),
    pytest.param(
        f"replicate.Client(api_token='{REPLICATE}') and together {TOGETHER}",
        "replicate.Client(api_token='[REDACTED:replicate-token]') "
        "and together [REDACTED:together-key]",
        REPLICATE,
        id="replicate-and-together-keys",
    ),
    pytest.param(
        f"fireworks {FIREWORKS}, voyage {VOYAGE}, langsmith {LANGSMITH}",
        "fireworks [REDACTED:fireworks-key], voyage [REDACTED:voyage-key], "
        "langsmith [REDACTED:langsmith-key]",
        LANGSMITH,
        id="fireworks-voyage-langsmith-keys",
    ),
    pytest.param(
        f"-H 'Authorization: Bearer {OPENROUTER}' or {PERPLEXITY}",
        "-H 'Authorization: Bearer [REDACTED:openrouter-key]' or [REDACTED:perplexity-key]",
        OPENROUTER,
        id="openrouter-and-perplexity-keys",
    ),
    pytest.param(
        f"OpenAI(base_url='https://api.deepseek.com', api_key='{DEEPSEEK}'), xAI: {XAI}",
        "OpenAI(base_url='https://api.deepseek.com', api_key='[REDACTED:deepseek-key]'), "
        "xAI: [REDACTED:xai-key]",
        DEEPSEEK,
        id="deepseek-and-xai-keys",
    ),
    pytest.param(
        f"the aws secret is {AWS_SECRET} and the key id {AWS_KEY_ID}, region eu-west-1",
        "the aws secret is [REDACTED:aws-key] and the key id [REDACTED:aws-key], region eu-west-1",
        AWS_SECRET,
        id="aws-secret-key-in-prose",
    ),
    pytest.param(
        f"AWS Secret Access Key [None]: {AWS_SECRET}\nDefault region name [None]:",
        "AWS Secret Access Key [None]: [REDACTED:aws-key]\nDefault region name [None]:",
        AWS_SECRET,
        id="aws-configure-prompt",
    ),
    pytest.param(
        "db:\n  user: app\n  password: hunter2hunter2\n  host: db",
        "db:\n  user: app\n  password: [REDACTED:password]\n  host: db",
        "hunter2hunter2",
        id="yaml-password",
    ),
    pytest.param(
        "[mysql]\npasswd: s3cr3t!\nPWD=Tr0ub4dor#3",
        "[mysql]\npasswd: [REDACTED:password]\nPWD=[REDACTED:password]",
        "s3cr3t!",
        id="ini-and-env-passwords",
    ),
    pytest.param(
        '{"user": "app", "password": hunter2hunter2, "pwd": "hunter"}',
        '{"user": "app", "password": [REDACTED:password], "pwd": "[REDACTED:password]"}',
        "hunter2hunter2",
        id="json-ish-passwords",
    ),
    pytest.param(
        "db:\n  password: correcthorse\n  host: db\n"
        "export DB_PASS=letmein\r\n[client]\npasswd = trustno",
        "db:\n  password: [REDACTED:password]\n  host: db\n"
        "export DB_PASS=[REDACTED:password]\r\n[client]\npasswd = [REDACTED:password]",
        "correcthorse",
        id="all-letter-config-passwords",
    ),
    pytest.param(
        f"!wandb login --relogin {WANDB}\nwandb.login(key='{WANDB}') hangs",
        "!wandb login --relogin [REDACTED:wandb-key]\n"
        "wandb.login(key='[REDACTED:wandb-key]') hangs",
        WANDB,
        id="wandb-login",
    ),
    pytest.param(
        f"my azure key: {AZURE_OPENAI} gets 401",
        "my azure key: [REDACTED:azure-openai-key] gets 401",
        AZURE_OPENAI,
        id="azure-openai-key-in-prose",
    ),
    pytest.param(
        f"AZURE_OPENAI_API_KEY={AZURE_OPENAI}\n"
        f'curl -H "api-key: {AZURE_OPENAI}" https://acme.openai.azure.com/openai',
        "AZURE_OPENAI_API_KEY=[REDACTED:azure-openai-key]\n"
        'curl -H "api-key: [REDACTED:azure-openai-key]" https://acme.openai.azure.com/openai',
        AZURE_OPENAI,
        id="azure-openai-key-env-and-header",
    ),
    pytest.param(
        "CO_API_KEY=Rk3mVq8ZtLw2Hx9NcYp4Ab1Cd2Ef3Gh4Ij5Kl6M MISTRAL_API_KEY=aB3dE5gH7jK9mN1pQ3sT"
        " WANDB_API_KEY=3f786850e387550fdab836ed7e6dc881de23001b",
        "CO_API_KEY=[REDACTED:secret] MISTRAL_API_KEY=[REDACTED:secret]"
        " WANDB_API_KEY=[REDACTED:wandb-key]",
        "3f786850e387550fdab836ed7e6dc881de23001b",
        id="unprefixed-keys-by-their-variable",
    ),
]


@pytest.mark.parametrize(("text", "expected", "secret"), REDACTED)
def test_secret_is_replaced_and_the_question_kept(text: str, expected: str, secret: str) -> None:
    assert secret in text
    redacted = redact(text)
    assert secret not in redacted
    assert redacted == expected


INNOCENT = [
    "How do I stream responses from the OpenAI API with retries and a 30s timeout?",
    "def login(password: str) -> bool:\n    return check_password(password)",
    'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])',
    "llm = OpenAI(api_key=api_key, max_tokens=4096, temperature=0.2)",
    "password_hash = bcrypt.hashpw(password, bcrypt.gensalt())",
    "DB_PASSWORD=${DB_PASSWORD} and PWD=/home/dev/project",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b broke the build",
    "request 123e4567-e89b-12d3-a456-426614174000 failed with HTTP 502",
    "FROM python@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "See https://docs.python.org/3/library/re.html#re.finditer and "
    "https://api.acme.dev:8443/v1/items?page=2&per_page=50",
    "git clone git@github.com:acme/api.git or ssh://git@github.com:22/acme/api.git",
    "postgresql://db:5432/app, redis://localhost:6379/0, http://[::1]:8080/health",
    "Bearer tokens expire after 3600 seconds; we send Authorization: Bearer $TOKEN",
    "our bearer authentication-middleware rejects requests from the old client",
    "kubectl get secret db-creds -o yaml; token: ${{ secrets.GITHUB_TOKEN }}",
    "p99 went from 120ms to 3400ms after 1,000,000 requests (0.5% errors), 3.14159",
    "SELECT id, email FROM users WHERE created_at > '2024-01-01T00:00:00Z';",
    "we use scikit-learn 1.5.2 and sk-learn pipelines; AKIA is the AWS key id prefix",
    "Ünïcødé ✓ 日本語のテキスト 🚀 — «quotes» and\ttabs\r\nand CRLF",
    "base64 of hello is aGVsbG8= and the secret sauce is caching",
    "hf_hub_download(repo_id=model_id, filename=hf_config_filename, token=hf_token)",
    "fw_getfirmwareversioninformation() vs gsk_default and r8_register; pa-per-request",
    "class Settings(BaseModel):\n    password: SecretStr\n    api_key: str | None = None",
    'creds = {"password": password, "api_key": os.environ["KEY"]}',
    "interface User {\n  password: string;\n}\npassword = password\npassword = getpass()",
    '{\n  "password": null,\n  "password_policy": strict\n}\nbypass: everything',
    "Password: required",
    "wandb login worked; wandb.log(step) at commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "aws key rotation broke at commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "the azure deployment's file has md5 0123456789abcdef0123456789abcdef",
    "xai-grok, pplx-api and sk-learn-compatible wrappers; lsv2_pt_ is the langsmith prefix",
    "",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_ordinary_text_passes_through_unchanged(text: str) -> None:
    assert redact(text) == text


# Fragments mixed into generated texts: each secret with what must be gone afterwards.
SECRETS = {
    OPENAI_PROJECT: OPENAI_PROJECT,
    SLACK_BOT: SLACK_BOT,
    SLACK_APP: SLACK_APP,
    AWS_KEY_ID: AWS_KEY_ID,
    f"aws_secret_access_key = {AWS_SECRET}": AWS_SECRET,
    GITHUB_CLASSIC: GITHUB_CLASSIC,
    GITHUB_FINE: GITHUB_FINE,
    RSA_BLOCK: KEY_BODY[1],
    f"Authorization: Bearer {BEARER}": BEARER,
    "postgresql://app:s3cr3t@db:5432/x": "s3cr3t",
    "redis://:hunter2@host": "hunter2",
    JWT: JWT,
    f"login('{HF}')": HF,
    GROQ: GROQ,
    f"aws secret {AWS_SECRET}": AWS_SECRET,
    "password: hunter2hunter2": "hunter2hunter2",
    f"api-key: {AZURE_OPENAI}": AZURE_OPENAI,
}
UNSCANNABLE = "[REDACTED:unscannable-text]"


def texts() -> st.SearchStrategy[str]:
    """Arbitrary unicode around known secrets and ordinary text, in any order."""
    fragment = st.one_of(st.text(), st.sampled_from([*SECRETS, *INNOCENT]))
    separator = st.sampled_from(["", " ", "\n", "=", ":", '"', "'", "@", "/", "-"])
    return st.lists(st.tuples(fragment, separator), max_size=6).map(
        lambda parts: "".join(f + s for f, s in parts)
    )


@settings(deadline=None)
@given(texts())
def test_redact_never_fails_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert once != UNSCANNABLE or text == UNSCANNABLE  # the scan itself did not blow up
    assert redact(once) == once


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.text(), st.sampled_from(sorted(SECRETS))),
        min_size=1,
        max_size=4,
    )
)
def test_secrets_are_found_whatever_surrounds_them(parts: list[tuple[str, str]]) -> None:
    text = "".join(f"{noise}\n{fragment} " for noise, fragment in parts)
    redacted = redact(text)
    for _, fragment in parts:
        assert SECRETS[fragment] not in redacted


@pytest.mark.parametrize(
    "text", ["\ud800 lone surrogate", "\x00\x0b\x0c\x1c\x85\u2028", "\U0010ffff"]
)
def test_odd_unicode_is_returned_as_is(text: str) -> None:
    assert redact(text) == text


def test_text_is_withheld_rather_than_leaked_if_scanning_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("detector bug")

    monkeypatch.setattr(redact_module, "_redact_once", broken)
    assert redact(f"my key is {OPENAI_PROJECT}") == UNSCANNABLE


def test_fast_enough_for_chat() -> None:
    question = "\n".join([*INNOCENT, *SECRETS] * 3)[:2048]
    pathological = ["secret_" * 3000, "password = '" * 2000, "://a:" * 4000, "A" * 20000]

    start = time.perf_counter()
    for _ in range(20):
        redact(question)
    assert (time.perf_counter() - start) / 20 < 0.05  # typically ~2 ms

    for text in pathological:
        start = time.perf_counter()
        redact(text)
        assert time.perf_counter() - start < 1.0, text[:20]


def test_openai_keys_without_the_marker_are_redacted() -> None:
    key = "sk-proj-" + "Ab3dE" * 8
    legacy = "sk-" + "9xQ2w" * 8
    out = redact(f"our key {key} and the old one {legacy} both fail")
    assert key not in out and legacy not in out
    assert out.count("[REDACTED:openai-key]") == 2
    assert redact("we pip install scikit-learn and sk-learn-style tools") == (
        "we pip install scikit-learn and sk-learn-style tools"
    )
