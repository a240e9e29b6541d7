"""The learners' CI workflow (.ci/learners/notebooks-on-kind.yml) runs on GitHub, not here: these
checks keep it in step with the kit, so that a renamed command or option, a new pinned node image or
kind release, or a changed test command breaks this test instead of a learner's fork."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from k8slab.clusters.providers import kindconfig
from k8slab.ui.cli import main

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".ci" / "learners" / "notebooks-on-kind.yml"
SEPARATORS = {"&&", "||", ";", "|", "(", ")"}


@pytest.fixture(scope="module")
def job() -> dict:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    assert list(jobs) == ["notebooks"]
    return jobs["notebooks"]


def run_lines(job: dict) -> list[str]:
    return [line for step in job["steps"] for line in step.get("run", "").splitlines() if line.strip()]


def k8slab_calls(lines: list[str]) -> list[list[str]]:
    """Every `k8slab ...` invocation in the lines, as its arguments after `k8slab`."""
    calls = []
    for line in lines:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        for i, word in enumerate(words):
            if word == "k8slab" and (i == 0 or words[i - 1] in SEPARATORS):
                args = []
                for arg in words[i + 1:]:
                    if arg in SEPARATORS:
                        break
                    args.append(arg)
                calls.append(args)
    return calls


def readme_test_command() -> str:
    """The one command in the README's code block after "Run the tests:"."""
    block = re.search(r"Run the tests:\s*```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert block, "the README has no 'Run the tests:' code block"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0].strip()


def pinned_kind() -> str:
    """`0.26` from environment.yml's `kubernetes-kind=0.26`."""
    deps = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    pins = [d.split()[0] for d in deps if isinstance(d, str) and d.startswith("kubernetes-kind=")]
    assert len(pins) == 1, pins
    return pins[0].split("=", 1)[1]


def test_every_k8slab_command_and_option_exists_in_the_cli(job):
    calls = k8slab_calls(run_lines(job))
    assert [c[0] for c in calls] == ["doctor", "up", "down"], calls
    for name, *args in calls:
        assert name in main.commands, f"the workflow calls `k8slab {name}`, which the CLI does not have"
        command = main.commands[name]
        options = {"--help"} | {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
        for arg in args:
            if arg.startswith("-"):
                assert arg.split("=", 1)[0] in options, f"`k8slab {name}` has no option {arg}"


def test_the_matrix_is_the_pinned_kind_releases_newest_three_node_images(job):
    kind = pinned_kind()
    matrix = job["strategy"]["matrix"]["include"]
    images = [row["node-image"] for row in matrix]
    assert images == list(kindconfig.SUPPORTED_NODE_IMAGES[kind])
    assert kindconfig.NODE_IMAGES[kind] in images, "the node image the kit pins for this kind is not tested"
    for row in matrix:
        name, digest = row["node-image"].split("@")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), row
        assert name == f"kindest/node:{row['kubernetes']}", "kubectl is fetched at the matrix's Kubernetes version"
    assert job["env"]["K8SLAB_NODE_IMAGE"] == "${{ matrix.node-image }}"
    assert job["env"]["KUBECTL_VERSION"] == "${{ matrix.kubernetes }}"


def test_it_installs_the_kind_that_environment_yml_pins(job):
    version = job["env"]["KIND_VERSION"]
    assert version.startswith(f"v{pinned_kind()}."), f"environment.yml pins kind {pinned_kind()}, the workflow {version}"
    assert kindconfig.node_image(version) == kindconfig.NODE_IMAGES[pinned_kind()]
    assert re.fullmatch(r"[0-9a-f]{64}", job["env"]["KIND_SHA256"])
    lines = run_lines(job)
    assert any("releases/download/${KIND_VERSION}/kind-linux-amd64" in line for line in lines)
    assert any('"${KIND_SHA256}  kind" | sha256sum --check' in line for line in lines)


def test_its_test_step_is_the_readmes_test_command_on_the_notebooks(job):
    step = next(s for s in job["steps"] if s.get("id") == "notebooks")
    assert shlex.split(step["run"]) == [*shlex.split(readme_test_command()), "notebooks"]
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(rf"^\s*if ! {re.escape(readme_test_command())}; then$", ci, re.M), \
        ".ci/run's test step runs another command"
    assert re.search(r"^k8slab up$", ci, re.M), ".ci/run no longer makes the cluster with `k8slab up`"


def test_it_uploads_executed_notebooks_on_failure_and_always_takes_the_cluster_down(job):
    steps = job["steps"]
    names = [s.get("id") or s.get("uses") or s.get("name") for s in steps]
    execute = next(s for s in steps if "nbconvert" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert names.index("notebooks") < steps.index(execute) < steps.index(upload)
    for step in (execute, upload):
        assert step["if"] == "failure() && steps.notebooks.outcome == 'failure'"
    assert "--execute" in execute["run"] and "--output-dir executed" in execute["run"]
    assert upload["with"]["path"] == "executed/"
    assert steps[-1] == {"name": "k8slab down", "if": "always()", "run": "k8slab down"}


def test_actions_are_pinned_and_no_secrets_are_used(job):
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4"]
    assert "secrets." not in WORKFLOW.read_text()
