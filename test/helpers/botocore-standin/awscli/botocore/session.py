"""Test stand-in for the botocore that Debian's awscli package ships (awscli.botocore), for VM scripts run on
this machine: SSM GetParameter only, answered from the JSON file in TURN_STACK_SSM_FILE
({"<name>": {"Type": "String"|"SecureString", "Value": "..."}}), each call appended as a JSON line to
TURN_STACK_SSM_LOG. Like SSM, a SecureString read without WithDecryption gets ciphertext, and a missing
parameter raises ParameterNotFound. test/integration/boot.test.ts runs the real client against a stand-in server."""
import json, os


class ParameterNotFound(Exception):
    pass


class _Ssm:
    def __init__(self, region):
        self.region = region

    def get_parameter(self, Name, WithDecryption=False):
        with open(os.environ["TURN_STACK_SSM_LOG"], "a") as log:
            log.write(json.dumps({"region": self.region, "name": Name, "withDecryption": WithDecryption}) + "\n")
        params = json.load(open(os.environ["TURN_STACK_SSM_FILE"]))
        if Name not in params:
            raise ParameterNotFound("An error occurred (ParameterNotFound) when calling the GetParameter operation")
        p = params[Name]
        value = p["Value"] if p["Type"] == "String" or WithDecryption else "kms-ciphertext"
        return {"Parameter": {"Name": Name, "Type": p["Type"], "Value": value}}


class _Session:
    def create_client(self, service, region_name=None):
        assert service == "ssm", service
        return _Ssm(region_name)


def get_session():
    return _Session()
