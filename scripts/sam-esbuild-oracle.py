"""The esbuild arguments `sam build` derives, from aws-lambda-builders' own code.

A cross-check for local/sam-esbuild.ts when the builder is at hand (it is not on npm, and `sam`
needs PyPI or Docker):

    git clone https://github.com/aws/aws-lambda-builders /tmp/lb
    node scripts/sam-esbuild-oracle.ts | python3 scripts/sam-esbuild-oracle.py /tmp/lb

Reads cases as JSON on stdin ([{logicalId, buildProperties, handler, environment, outdir,
codeUri, manifest}]), runs the steps SAM CLI takes before the builder (copied from
samcli/lib/build/bundler.py set_sourcemap_metadata_from_env, app_builder.py _get_build_options,
resource_metadata_normalizer.py normalize_build_properties), then the builder's real
EsbuildBundleAction with an esbuild that only records its arguments. Prints
{logicalId: args or {"error": message}} as JSON.
"""

import json
import re
import sys

sys.path.insert(0, sys.argv[1])

from aws_lambda_builders.workflows.nodejs_npm.utils import OSUtils  # noqa: E402
from aws_lambda_builders.workflows.nodejs_npm_esbuild.actions import EsbuildBundleAction  # noqa: E402

PASCAL_TO_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")  # samcli resource_metadata_normalizer.py


class RecordingEsbuild:
    def __init__(self):
        self.calls = []

    def run(self, args, cwd=None):
        if args == ["--version"]:
            return "0.28.2"
        self.calls.append(args)
        return ""


def sam_options(case):
    props = dict(case.get("buildProperties") or {})
    node_options = (case.get("environment") or {}).get("NODE_OPTIONS")
    node_option_set = isinstance(node_options, str) and "--enable-source-maps" in node_options.split()
    if props.get("Sourcemap", None) is None and node_option_set:
        props["Sourcemap"] = True
    normalized = {PASCAL_TO_SNAKE.sub("_", k).lower(): v for k, v in props.items()}
    if case["handler"] and not props.get("EntryPoints"):
        normalized["entry_points"] = [case["handler"].split(".")[0]]
    return normalized


out = {}
for case in json.load(sys.stdin):
    esbuild = RecordingEsbuild()
    try:
        EsbuildBundleAction(
            working_directory=case["codeUri"],
            output_directory=case["outdir"],
            bundler_config=sam_options(case),
            osutils=OSUtils(),
            subprocess_esbuild=esbuild,
            manifest=case["manifest"],
            skip_deps=False,
        ).execute()
        out[case["logicalId"]] = esbuild.calls[0]
    except Exception as error:  # the builder's own errors are part of the answer
        out[case["logicalId"]] = {"error": str(error)}
print(json.dumps(out, indent=1))
