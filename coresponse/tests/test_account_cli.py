"""`coresponse adduser` and `coresponse token` run as an operator would, in a shell: the password
piped on standard input, the token read from standard output."""

import os
import subprocess

from coresponse.tests.test_command_and_settings import COMMAND


def run(args, env, stdin=""):
    return subprocess.run(
        [str(COMMAND), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_adduser_and_token_from_a_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(CORESPONSE_VAR_DIR=str(tmp_path), DATABASE_URL="")
    assert run(["migrate", "--no-input"], env).returncode == 0
    refused = run(["adduser", "cad", "--agency", "riverton-pd", "--role", "dispatcher"], env, "x\n")
    assert refused.returncode == 1
    assert "no agency with id 'riverton-pd' (known: none yet)" in refused.stderr
    assert "password: This password is too short." in refused.stderr

    made = run(
        [
            "shell",
            "-c",
            "from coresponse.agencies.models import Agency; Agency.objects.create("
            "external_id='riverton-pd', name='Riverton PD', kind='law_enforcement')",
        ],
        env,
    )
    assert made.returncode == 0, made.stderr
    added = run(
        ["adduser", "cad", "--agency", "riverton-pd", "--role", "dispatcher"],
        env,
        "the CAD bridge's own passphrase\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "cad: Dispatcher / call-taker at Riverton PD"
    issued = run(["token", "cad", "--hours", "1"], env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("crt_") and len(token.splitlines()) == 1
    assert "valid until" in issued.stderr
    listed = run(["token", "cad", "--list"], env)
    assert token[:12] in listed.stdout and token not in listed.stdout
