"""template.yaml as the SAM transform makes it: the CloudFormation template AWS deploys.

    python3 test/support/sam-transform.py TEMPLATE PARAMETERS_JSON   (prints the JSON)

Uses aws-sam-translator (installed with cfn-lint) offline. CodeUri and DefinitionUri become
S3 locations, as `sam package` makes them; the definitions are read from their files by the
caller. Managed policies are referenced by ARN in this template, so the loader has nothing
to look up (a policy named without its ARN fails the transform, which is the point).
"""
import json
import os
import sys

try:
    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform
except ImportError as error:  # pragma: no cover
    sys.exit(f"sam-transform.py: {error}. aws-sam-translator comes with cfn-lint: python3 -m pip install 'cfn-lint==1.51.*'")


class NoManagedPolicies:
    def load(self):
        return {}


def main(path, parameters):
    template, errors = decode(path)
    if errors:
        sys.exit(f"sam-transform.py: {path} does not parse: {errors}")
    template = json.loads(json.dumps(template))  # plain dicts and lists
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.setdefault("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://mesh-canary-artifacts/{logical_id}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            props["DefinitionUri"] = f"s3://mesh-canary-artifacts/{logical_id}.asl.json"
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", parameters.get("AWS::Region", "us-east-1"))
    print(json.dumps(transform(template, parameters, NoManagedPolicies())))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
