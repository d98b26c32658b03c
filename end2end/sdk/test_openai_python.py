"""SDK conformance, Python: the official `openai` package pointed at a running Palisade.

Owns: chat, streaming chat, tool calls, embeddings and the blocked-request errors as the SDK sees them.
Must not: create users or keys (end2end/sdk/run.sh does, through the API) or depend on anything but the
`openai` package and the standard library. Run by run.sh; exits non-zero on the first failed check.

Environment: PALISADE_BASE_URL (no trailing slash), PALISADE_KEY (sk-pal-…), PALISADE_EMAIL and
PALISADE_PASSWORD of a Developer (to switch the autonomy level through /api).
"""

import http.cookiejar
import base64
import json
import os
import struct
import sys
import urllib.request

import openai
from openai import OpenAI

BASE_URL = os.environ["PALISADE_BASE_URL"]
client = OpenAI(base_url=f"{BASE_URL}/v1", api_key=os.environ["PALISADE_KEY"], max_retries=0, timeout=30)


def apply_level(level: str) -> None:
    """Applies an autonomy level with a cookie session, as an operator script would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = urllib.request.Request(
        f"{BASE_URL}/api/auth/login",
        data=json.dumps({"email": os.environ["PALISADE_EMAIL"], "password": os.environ["PALISADE_PASSWORD"]}).encode(),
        headers={"content-type": "application/json"},
    )
    csrf = json.load(opener.open(login))["csrf_token"]
    apply = urllib.request.Request(
        f"{BASE_URL}/api/workspace/firewall/autonomy",
        data=json.dumps({"level": level}).encode(),
        headers={"content-type": "application/json", "x-palisade-csrf": csrf},
    )
    assert opener.open(apply).status == 200


def test_chat() -> None:
    reply = client.chat.completions.create(model="mock/echo", messages=[{"role": "user", "content": "REPLY:hello from python"}])
    assert reply.object == "chat.completion", reply
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == "hello from python", reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens > 0


def test_chat_raw_response_headers() -> None:
    raw = client.chat.completions.with_raw_response.create(model="mock/echo", messages=[{"role": "user", "content": "hi"}])
    assert raw.headers.get("x-palisade-overhead-ms") is not None, dict(raw.headers)
    assert raw.parse().choices[0].message.content


def test_streaming_chat() -> None:
    stream = client.chat.completions.create(
        model="mock/echo",
        messages=[{"role": "user", "content": "REPLY:a streamed answer that spans several chunks"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, chunks = [], None, 0
    for chunk in stream:
        chunks += 1
        assert chunk.object == "chat.completion.chunk", chunk
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert "".join(pieces) == "a streamed answer that spans several chunks", pieces
    assert chunks > 2, chunks
    assert finish == "stop", finish


def test_tool_calls() -> None:
    reply = client.chat.completions.create(
        model="mock/echo",
        messages=[{"role": "user", "content": 'What is the weather?\nTOOLCALL:get_weather:{"city":"Paris"}'}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather", call
    assert json.loads(call.function.arguments) == {"city": "Paris"}, call.function.arguments


def test_streaming_tool_calls() -> None:
    stream = client.chat.completions.create(
        model="mock/echo",
        messages=[{"role": "user", "content": 'TOOLCALL:get_weather:{"city":"Lyon"}'}],
        stream=True,
    )
    name, arguments, finish = "", "", None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                name += (call.function.name or "") if call.function else ""
                arguments += (call.function.arguments or "") if call.function else ""
            finish = choice.finish_reason or finish
    assert name == "get_weather", name
    assert json.loads(arguments) == {"city": "Lyon"}, arguments
    assert finish == "tool_calls", finish


def test_embeddings() -> None:
    result = client.embeddings.create(model="mock/embed", input=["first text", "second text"])
    assert len(result.data) == 2 and [item.index for item in result.data] == [0, 1]
    assert len(result.data[0].embedding) > 0 and all(isinstance(x, float) for x in result.data[0].embedding)
    assert result.data[0].embedding != result.data[1].embedding
    # What the Node SDK (and this one with numpy) asks by default: base64 of little-endian float32.
    raw = client.embeddings.with_raw_response.create(model="mock/embed", input="first text", encoding_format="base64")
    encoded = json.loads(raw.text)["data"][0]["embedding"]
    assert isinstance(encoded, str), encoded
    floats = struct.unpack(f"<{len(base64.b64decode(encoded)) // 4}f", base64.b64decode(encoded))
    assert all(abs(a - b) < 1e-6 for a, b in zip(floats, result.data[0].embedding, strict=True)), floats


def test_models_and_unknown_model() -> None:
    ids = [model.id for model in client.models.list()]
    assert "mock/echo" in ids and "mock/embed" in ids, ids
    try:
        client.chat.completions.create(model="nope/nothing", messages=[{"role": "user", "content": "hi"}])
    except openai.NotFoundError as err:
        assert err.code == "model_not_found", err.body
    else:
        raise AssertionError("an unknown model must raise NotFoundError")


def test_bad_key() -> None:
    bad = OpenAI(base_url=f"{BASE_URL}/v1", api_key="sk-pal-" + "x" * 32, max_retries=0)
    try:
        bad.models.list()
    except openai.AuthenticationError as err:
        assert err.code == "invalid_api_key", err.body
    else:
        raise AssertionError("a bad key must raise AuthenticationError")


def expect_bad_request(code: str, **request) -> None:
    try:
        client.chat.completions.create(model="mock/echo", **request)
    except openai.BadRequestError as err:
        assert err.status_code == 400 and err.code == code, (err.status_code, err.body)
        assert err.type == "invalid_request_error", err.body
    else:
        raise AssertionError(f"expected BadRequestError {code}")


def test_blocked_under_tight() -> None:
    apply_level("tight")
    token = "ghp_" + ("a1B2c3D4e5" * 4)[:36]
    expect_bad_request("guardrail_blocked", messages=[{"role": "user", "content": f"my token is {token}"}])
    expect_bad_request("firewall_blocked", messages=[{"role": "user", "content": 'TOOLCALL:bash:{"command":"rm -rf /"}'}])


def main() -> int:
    apply_level("balanced")
    tests = [
        test_chat,
        test_chat_raw_response_headers,
        test_streaming_chat,
        test_tool_calls,
        test_streaming_tool_calls,
        test_embeddings,
        test_models_and_unknown_model,
        test_bad_key,
        test_blocked_under_tight,
    ]
    failed = 0
    try:
        for test in tests:
            try:
                test()
                print(f"  ok    python {test.__name__}")
            except Exception as err:  # report every failure, then exit non-zero
                failed += 1
                print(f"  FAIL  python {test.__name__}: {type(err).__name__}: {err}")
    finally:
        apply_level("balanced")
    print(f"python openai {openai.__version__}: {len(tests) - failed}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
