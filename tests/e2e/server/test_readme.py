"""The README's curl recipe ("Pushing a replay") works as written: its shell
block runs with bash against a real server (only the port is changed), and
each step answers what the README's comment says it answers. Fails when the
recipe breaks (as it did when `jq -c .world` rewrote 1.0 as 1 and the hash no
longer matched), or when the section loses its steps."""
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import time

import pytest

from harness import FIXTURES, load_replay, world_hash

README = FIXTURES.parents[1] / "README.md"
SECTION = "## Pushing a replay"
MARK = "@@step"


def recipe_block():
    """The first ```sh block of the README's push section."""
    text = README.read_text()
    section = text[text.index(SECTION):]
    section = section[:section.find("\n## ", len(SECTION))]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no ```sh block under {SECTION!r} in README.md"
    return match.group(1)


def steps(block):
    """Splits the block into commands as bash reads them: a line continues the
    command when it ends in `\\`, `|`, `&&` or `||`, or leaves a quote open."""
    commands, current = [], []
    for line in block.splitlines():
        if not current and not line.strip():
            continue
        current.append(line)
        if is_complete("\n".join(current)):
            commands.append("\n".join(current))
            current = []
    assert not current, f"unfinished command in the README block: {current}"
    return commands


def is_complete(command):
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # an open quote, or a backslash at the very end
        return False
    return not tokens or tokens[-1] not in ("|", "&&", "||")


def expected_answer(command):
    """What the README says the step answers: the text of its last comment."""
    last = command.splitlines()[-1]
    return last.split("# ", 1)[1].strip() if "# " in last else ""


def test_recipe_splits_into_the_documented_steps():
    commands = steps(recipe_block())
    curls = [c for c in commands if "curl" in c]
    assert [expected_answer(c).split(":")[0] for c in curls] == [
        "404", '{"status"', '{"status"', "watch the SSE stream"], curls


@pytest.mark.skipif(not all(shutil.which(t) for t in ("bash", "curl", "jq", "gzip", "sha256sum")),
                    reason="the README recipe needs bash, curl, jq, gzip and sha256sum (scripts/install-deps)")
def test_readme_push_recipe_works_against_a_real_server(server, tmp_path):
    replay_name = "w40x40x20_s3"  # a world with floats such as 1.0 that jq would rewrite
    shutil.copy(FIXTURES / "replays" / f"{replay_name}.replay.json", tmp_path / "replay.json")
    block = recipe_block().replace("localhost:8090", f"127.0.0.1:{server.http_port}")
    assert "8090" not in block, "the README block names a port the test cannot redirect"
    commands = steps(block)
    script = "set -e -o pipefail\n" + "".join(
        f"printf '\\n{MARK} %d\\n' {i}\n{command}\n" for i, command in enumerate(commands))

    proc = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output = read_until_replay_end(proc, "demo", timeout=30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the last step follows the stream forever
        proc.wait()

    answers = split_answers(output)
    assert len(answers) == len(commands), output
    h = world_hash(load_replay(replay_name)["world"])
    for command, answer in zip(commands, answers):
        expected = expected_answer(command)
        if expected.startswith("404"):
            assert answer.startswith("HTTP/1.1 404"), (command, answer)
        elif expected.startswith('{"status":"ok","world_hash"'):
            assert json.loads(answer) == {"status": "ok", "world_hash": h}, (command, answer)
        elif expected.startswith('{"status":"ok"'):
            body = json.loads(answer)
            assert body["status"] == "ok" and body["replay_id"] == "demo", (command, answer)
        elif "/events" in command:
            events = [line[len("event: "):] for line in answer.splitlines() if line.startswith("event: ")]
            assert events == ["replay_start", "replay_chunk", "replay_end"], answer
        else:
            assert answer == "", (command, answer)  # a step that only prepares (world.json, $H)
    assert server.request("HEAD", f"/worlds/{h}")[0] == 200


def read_until_replay_end(proc, replay_id, timeout):
    """The script's output up to the replay_end of `replay_id` on the SSE
    stream, or up to the script's end."""
    output = b""
    deadline = time.monotonic() + timeout
    end = f'"replay_id":"{replay_id}"'.encode()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            break
        output += data
        tail = output[output.rfind(b"event: replay_end"):] if b"event: replay_end" in output else b""
        if end in tail and tail.endswith(b"\n\n"):
            break
    return output.decode(errors="replace")


def split_answers(output):
    parts = re.split(rf"\n?{MARK} \d+\n", output)
    return [part.strip() for part in parts[1:]]
