#!/usr/bin/env python3
"""Uses Chorus's OpenAI-compatible endpoint through the official `openai` client library, as an SDK user would.

Usage: openai_client_check.py BASE_URL API_KEY ROUTE EXPECTED_TEXT

The route's provider must answer EXPECTED_TEXT to the first two calls (whole, then streamed) and break off the
third answer mid-stream. Exits non-zero, saying what differed, when anything is not as an OpenAI user expects.
"""
import sys

import openai


def main() -> int:
    base_url, api_key, route, expected = sys.argv[1:5]
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=20)
    failures = []

    # 1. Non-streaming.
    completion = client.chat.completions.create(
        model=route,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}],
        temperature=0,
    )
    if completion.choices[0].message.content != expected:
        failures.append(f"non-streaming text: {completion.choices[0].message.content!r}")
    if completion.choices[0].finish_reason != "stop":
        failures.append(f"non-streaming finish_reason: {completion.choices[0].finish_reason!r}")
    if not completion.usage or completion.usage.prompt_tokens <= 0 or completion.usage.completion_tokens <= 0:
        failures.append(f"non-streaming usage: {completion.usage!r}")
    if completion.model != route or not completion.id.startswith("chatcmpl-"):
        failures.append(f"non-streaming id/model: {completion.id!r} {completion.model!r}")

    # 2. Streaming, with usage in the last chunk.
    pieces, finish, usage = [], None, None
    stream = client.chat.completions.create(
        model=route,
        messages=[{"role": "user", "content": "Say hello, slowly."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason
    if "".join(pieces) != expected:
        failures.append(f"streamed text: {''.join(pieces)!r}")
    if len(pieces) < 2:
        failures.append(f"streamed in {len(pieces)} piece(s); expected several")
    if finish != "stop":
        failures.append(f"streamed finish_reason: {finish!r}")
    if usage is None or usage.completion_tokens <= 0:
        failures.append(f"streamed usage: {usage!r}")

    # 3. A stream that breaks after its first words must raise, never look complete.
    try:
        received = []
        for chunk in client.chat.completions.create(
            model=route, messages=[{"role": "user", "content": "Break."}], stream=True
        ):
            for choice in chunk.choices:
                if choice.delta.content:
                    received.append(choice.delta.content)
        failures.append(f"a broken stream ended without an error after {''.join(received)!r}")
    except openai.APIError as error:
        if "stream" not in str(error).lower() and "ended" not in str(error).lower():
            failures.append(f"broken stream raised an unexpected message: {error}")

    # 4. An unknown route is the SDK's NotFoundError, with OpenAI's error code.
    try:
        client.chat.completions.create(model="no-such-route", messages=[{"role": "user", "content": "Hi"}])
        failures.append("an unknown route answered")
    except openai.NotFoundError as error:
        if error.code != "model_not_found":
            failures.append(f"unknown route code: {error.code!r}")

    # 5. A request the gateway cannot take is the SDK's BadRequestError naming the member at fault.
    try:
        client.chat.completions.create(model=route, messages=[], temperature=0)
        failures.append("an empty conversation answered")
    except openai.BadRequestError as error:
        if error.param != "messages":
            failures.append(f"bad request param: {error.param!r}")

    for failure in failures:
        print("FAIL:", failure)
    print("openai", openai.__version__, "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
