#!/usr/bin/env python3
"""Drives the hub's management API with Tencent's OFFICIAL API clients.

* the Python SDK (tencentcloud-sdk-python-iotcloud, modules v20210408 and v20180614, on top of
  tencentcloud-sdk-python-common): every implemented action, success and error cases, the three
  signature methods (TC3-HMAC-SHA256, HmacSHA256, HmacSHA1), POST and GET;
* tccli (as a subprocess): every implemented action of the iotcloud model, success and error case.

Responses are checked against the official API description shipped with tccli (field presence, JSON
types, and no fields the API version does not define), see `check_schema`.

Environment (set by Tests/IntegrationTests/OfficialClientsTests.swift):
  HUB_API_ENDPOINT  host:port of the management API (127.0.0.1:PORT)
  HUB_SECRET_ID, HUB_SECRET_KEY  management credentials
  HUB_HTTP_URL      http://127.0.0.1:PORT of the device HTTP endpoints (dynamic registration)
  IOTHUB_TCCLI      path of the tccli executable

Plain unittest from the standard library; prints `N passed, M failed` and exits non-zero on failure.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import types
import unittest
import urllib.error
import urllib.request
import uuid
import warnings

import tccli
from tencentcloud.common import abstract_client
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iotcloud.v20180614 import iotcloud_client as iotcloud_client_2018
from tencentcloud.iotcloud.v20180614 import models as models_2018
from tencentcloud.iotcloud.v20210408 import iotcloud_client as iotcloud_client_2021
from tencentcloud.iotcloud.v20210408 import models as models_2021


def _env(name):
    value = os.environ.get(name)
    if not value:
        sys.stderr.write("official_clients_test.py: environment variable %s is not set\n" % name)
        sys.exit(2)
    return value


ENDPOINT = _env("HUB_API_ENDPOINT")
SECRET_ID = _env("HUB_SECRET_ID")
SECRET_KEY = _env("HUB_SECRET_KEY")
HTTP_URL = _env("HUB_HTTP_URL").rstrip("/")
TCCLI = _env("IOTHUB_TCCLI")
REGION = "ap-guangzhou"

V2021 = "2021-04-08"
V2018 = "2018-06-14"
CLIENTS = {V2021: (iotcloud_client_2021.IotcloudClient, models_2021), V2018: (iotcloud_client_2018.IotcloudClient, models_2018)}

# Only loopback: never go through a proxy (urllib and requests honour *_proxy variables).
_no_proxy = os.environ.get("NO_PROXY", "")
if "127.0.0.1" not in _no_proxy.split(","):
    os.environ["NO_PROXY"] = ",".join(filter(None, [_no_proxy, "127.0.0.1"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]
URL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

BASE64_RE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PRODUCT_ID_RE = re.compile(r"^[A-Z0-9]{10}$")


def wait_for_next_second():
    """Sleeps until the Unix second changes (the SDK's X-TC-Timestamp resolution)."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


def unique_name(prefix="py"):
    return prefix + uuid.uuid4().hex[:14]


def random_psk():
    return base64.b64encode(os.urandom(16)).decode()


# ---------------------------------------------------------------------------------------------------
# Official API description (tccli ships the same model the SDK is generated from)


def _load_api(version):
    path = os.path.join(os.path.dirname(tccli.__file__), "services", "iotcloud", "v" + version.replace("-", ""), "api.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


API = {V2021: _load_api(V2021), V2018: _load_api(V2018)}


def check_schema(test, value, object_name, version, path="Response", top_level=True):
    """Asserts that `value` matches the official model object `object_name` of `version`: every
    (non-disabled) member present with the documented JSON type, no member the version does not define."""
    objects = API[version]["objects"]
    members = {m["name"]: m for m in objects[object_name]["members"]}
    test.assertIsInstance(value, dict, path)
    allowed = set(members) | ({"RequestId"} if top_level else set())
    extra = set(value) - allowed
    test.assertFalse(extra, "%s (%s %s): fields the version does not define: %s" % (path, version, object_name, sorted(extra)))
    for name, member in members.items():
        if member.get("disabled") and name not in value:
            continue
        test.assertIn(name, value, "%s (%s %s): documented field %s missing" % (path, version, object_name, name))
        _check_value(test, value[name], member, member["type"], version, "%s.%s" % (path, name))
    if top_level:
        test.assertRegex(value.get("RequestId", ""), UUID_RE, path + ".RequestId")


def _check_value(test, value, member, kind, version, path):
    if value is None:
        test.assertTrue(member.get("value_allowed_null"), "%s is null" % path)
        return
    if kind == "string":
        test.assertIsInstance(value, str, path)
    elif kind == "int":
        test.assertTrue(isinstance(value, int) and not isinstance(value, bool), "%s: integer expected, got %r" % (path, value))
        if member.get("member") == "uint64":
            test.assertGreaterEqual(value, 0, path)
    elif kind == "bool":
        test.assertIsInstance(value, bool, path)
    elif kind == "float":
        test.assertTrue(isinstance(value, (int, float)) and not isinstance(value, bool), path)
    elif kind == "list":
        test.assertIsInstance(value, list, path)
        element = member["member"]
        element_kind = {"string": "string", "uint64": "int", "int64": "int", "bool": "bool", "float": "float"}.get(element, "object")
        for index, item in enumerate(value):
            _check_value(test, item, member, element_kind, version, "%s.%d" % (path, index))
    elif kind == "object":
        check_schema(test, value, member["member"], version, path, top_level=False)
    else:
        test.fail("%s: unknown model type %s" % (path, kind))


# ---------------------------------------------------------------------------------------------------
# Python SDK helpers


def make_client(version=V2021, sign_method="TC3-HMAC-SHA256", req_method="POST", secret_id=SECRET_ID,
                secret_key=SECRET_KEY, region=REGION, endpoint=ENDPOINT, protocol="http", language="en-US"):
    client_class, _ = CLIENTS[version]
    http_profile = HttpProfile(protocol=protocol, endpoint=endpoint, reqMethod=req_method)
    profile = ClientProfile(signMethod=sign_method, httpProfile=http_profile, language=language)
    client = client_class(credential.Credential(secret_id, secret_key), region, profile)
    # Keep the raw HTTP answers: the schema checks look at the JSON as sent, not at the SDK model.
    send = client.request.send_request
    client.raw_responses = []

    def recording_send(req):
        response = send(req)
        client.raw_responses.append(response)
        return response

    client.request.send_request = recording_send
    return client


class stale_clock:
    """Makes the SDK sign with a clock `offset` seconds off (abstract_client reads `time.time()`)."""

    def __init__(self, offset):
        self.offset = offset

    def __enter__(self):
        self.saved = abstract_client.time
        real = self.saved.time
        abstract_client.time = types.SimpleNamespace(time=lambda: real() + self.offset)

    def __exit__(self, *exc):
        abstract_client.time = self.saved
        return False


class SDKTestCase(unittest.TestCase):
    version = V2021

    def setUp(self):
        self.client = make_client(self.version)
        self.models = CLIENTS[self.version][1]

    # -- calls --

    def call(self, action, params, client=None, schema=True):
        """Calls `action` through the SDK's typed method and model; checks the raw answer against the
        official schema and that the SDK saw no unknown fields."""
        client = client or self.client
        models = CLIENTS[client._apiVersion][1]
        request = getattr(models, action + "Request")()
        request.from_json_string(json.dumps(params))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = getattr(client, action)(request)
        useless = [str(w.message) for w in caught if "useless" in str(w.message)]
        self.assertFalse(useless, "%s %s: SDK reported unknown fields: %s" % (client._apiVersion, action, useless))
        self.assertIsInstance(response, getattr(models, action + "Response"))
        raw = self.last_raw(client)
        if schema:
            check_schema(self, raw, action + "Response", client._apiVersion)
        self.assertEqual(response.RequestId, raw["RequestId"])
        return response

    def last_raw(self, client=None):
        client = client or self.client
        http = client.raw_responses[-1]
        self.assertEqual(http.status_code, 200)
        self.assertEqual(http.headers.get("Content-Type"), "application/json")
        return json.loads(http.content)["Response"]

    def call_json(self, action, params, client=None):
        """A hub action (not in the SDK model) through the SDK's generic, officially signed call_json."""
        client = client or self.client
        document = client.call_json(action, params)
        self.assertEqual(list(document), ["Response"])
        response = document["Response"]
        self.assertRegex(response.get("RequestId", ""), UUID_RE)
        return response

    def assertError(self, code, function, *args, **kwargs):
        with self.assertRaises(TencentCloudSDKException) as raised:
            function(*args, **kwargs)
        self.assertEqual(raised.exception.code, code, "message: %s" % raised.exception.message)
        self.assertRegex(raised.exception.requestId or "", UUID_RE)
        self.assertTrue(raised.exception.message)
        return raised.exception

    def assertCallError(self, code, action, params, client=None):
        return self.assertError(code, self.call, action, params, client)

    # -- fixtures --

    def pid_field(self, action):
        """2018-06-14 spells ProductId `ProductID` in these actions (cloud-api.md §9)."""
        if self.version == V2018 and action in ("DescribeDevice", "UpdateDevicesEnableState", "SetProductsForbiddenStatus"):
            return "ProductID"
        return "ProductId"

    def new_product(self, encryption="2", **properties):
        name = unique_name()
        properties = dict(properties, EncryptionType=encryption)
        response = self.call("CreateProduct", {"ProductName": name, "ProductProperties": properties})
        return response.ProductId

    def new_device(self, product_id, name=None, **extra):
        name = name or unique_name("dev")
        response = self.call("CreateDevice", dict(extra, ProductId=product_id, DeviceName=name))
        return name, response

    def describe_device(self, product_id, name):
        return self.call("DescribeDevice", {self.pid_field("DescribeDevice"): product_id, "DeviceName": name})


# ---------------------------------------------------------------------------------------------------
# Every action through the SDK, in both API versions


class ActionTestsMixin:
    """Every implemented action with success and error cases; run for both SDK modules."""

    # -- products --

    def test_CreateProduct(self):
        name = unique_name()
        response = self.call("CreateProduct", {
            "ProductName": name,
            "ProductProperties": {"EncryptionType": "2", "ProductDescription": "official client test \u6e29\u5ea6"},
        })
        self.assertEqual(response.ProductName, name)
        self.assertRegex(response.ProductId, PRODUCT_ID_RE)
        properties = response.ProductProperties
        self.assertEqual(properties.EncryptionType, "2")
        self.assertEqual(properties.ProductDescription, "official client test \u6e29\u5ea6")
        self.assertEqual(properties.RegisterType, 0)
        self.assertEqual(properties.RegisterLimit, 10000)
        self.assertEqual(properties.ProductSecret, "")
        self.assertEqual(properties.ProductType, 0)
        self.assertEqual(properties.Format, "json")
        raw = self.last_raw()["ProductProperties"]
        if self.version == V2021:
            self.assertEqual(properties.ForbiddenStatus, 0)
            self.assertEqual(raw["OriginUserId"], 0)
        else:
            for field in ("ForbiddenStatus", "OriginProductId", "PrivateCAName", "OriginUserId", "DeviceLimit", "AppEUI"):
                self.assertNotIn(field, raw)
        # Defaults: certificate product, registration off.
        default = self.call("CreateProduct", {"ProductName": unique_name()})
        self.assertEqual(default.ProductProperties.EncryptionType, "1")
        # Dynamic registration settings at creation.
        dynamic = self.call("CreateProduct", {
            "ProductName": unique_name(),
            "ProductProperties": {"EncryptionType": "2", "RegisterType": 2, "RegisterLimit": 5},
        })
        self.assertEqual(dynamic.ProductProperties.RegisterType, 2)
        self.assertEqual(dynamic.ProductProperties.RegisterLimit, 5)

        self.assertCallError("InvalidParameterValue.ProductAlreadyExist", "CreateProduct", {"ProductName": name})
        self.assertCallError("MissingParameter", "CreateProduct", {"ProductProperties": {"EncryptionType": "2"}})
        self.assertCallError("InvalidParameterValue", "CreateProduct", {"ProductName": "bad name!"})
        self.assertCallError("InvalidParameterValue", "CreateProduct", {"ProductName": "x" * 33})
        self.assertCallError("InvalidParameterValue.ProductTypeNotSupport", "CreateProduct",
                             {"ProductName": unique_name(), "ProductProperties": {"EncryptionType": "9"}})
        self.assertCallError("InvalidParameterValue", "CreateProduct",
                             {"ProductName": unique_name(), "ProductProperties": {"RegisterType": 7}})

    def test_DescribeProduct(self):
        before = int(time.time())
        product_id = self.new_product("1")
        response = self.call("DescribeProduct", {"ProductId": product_id})
        self.assertEqual(response.ProductId, product_id)
        self.assertEqual(response.ProductProperties.EncryptionType, "1")
        self.assertIsInstance(response.ProductMetadata.CreationDate, int)
        self.assertLessEqual(abs(response.ProductMetadata.CreationDate - before), 60)
        raw = self.last_raw()
        if self.version == V2018:
            self.assertEqual(list(raw["ProductMetadata"]), ["CreationDate"])

        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": "ZZZZZZZZZZ"})
        self.assertCallError("MissingParameter", "DescribeProduct", {})

    def test_DescribeProducts(self):
        product_id = self.new_product()
        response = self.call("DescribeProducts", {"Offset": 0, "Limit": 250})
        self.assertIsInstance(response.TotalCount, int)
        self.assertGreaterEqual(response.TotalCount, 1)
        self.assertEqual(len(response.Products), min(response.TotalCount, 250))
        products = list(response.Products)
        while len(products) < response.TotalCount:
            more = self.call("DescribeProducts", {"Offset": len(products), "Limit": 250}).Products
            self.assertTrue(more)
            products += more
        ids = [p.ProductId for p in products]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertIn(product_id, ids)
        mine = products[ids.index(product_id)]
        self.assertEqual(mine.ProductProperties.EncryptionType, "2")
        self.assertIsInstance(mine.ProductMetadata.CreationDate, int)
        page = self.call("DescribeProducts", {"Offset": 0, "Limit": 10})
        self.assertLessEqual(len(page.Products), 10)
        self.assertEqual(page.TotalCount, response.TotalCount)

        self.assertCallError("InvalidParameterValue", "DescribeProducts", {"Offset": 0, "Limit": 251})
        self.assertCallError("InvalidParameterValue", "DescribeProducts", {"Offset": -1, "Limit": 10})
        self.assertCallError("MissingParameter", "DescribeProducts", {"Offset": 0})

    def test_DeleteProduct(self):
        product_id = self.new_product()
        self.call("DeleteProduct", {"ProductId": product_id})
        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": product_id})
        self.assertCallError("ResourceNotFound.ProductNotExist", "DeleteProduct", {"ProductId": product_id})

        with_devices = self.new_product()
        self.new_device(with_devices)
        self.assertCallError("UnauthorizedOperation.DevicesExistUnderProduct", "DeleteProduct", {"ProductId": with_devices})
        self.call("DescribeProduct", {"ProductId": with_devices})

    def test_UpdateProductDynamicRegister(self):
        product_id = self.new_product()
        response = self.call("UpdateProductDynamicRegister", {"ProductId": product_id, "RegisterType": 2, "RegisterLimit": 50})
        self.assertEqual(response.RegisterType, 2)
        self.assertEqual(response.RegisterLimit, 50)
        self.assertRegex(response.ProductSecret, r"^[A-Za-z0-9]{24}$")
        secret = response.ProductSecret
        described = self.call("DescribeProduct", {"ProductId": product_id}).ProductProperties
        self.assertEqual((described.RegisterType, described.RegisterLimit, described.ProductSecret), (2, 50, secret))
        # Switching off keeps (and returns) the secret.
        off = self.call("UpdateProductDynamicRegister", {"ProductId": product_id, "RegisterType": 0, "RegisterLimit": 10})
        self.assertEqual(off.RegisterType, 0)
        self.assertEqual(off.ProductSecret, secret)
        again = self.call("UpdateProductDynamicRegister", {"ProductId": product_id, "RegisterType": 1, "RegisterLimit": 10})
        self.assertEqual(again.ProductSecret, secret)

        self.assertCallError("InvalidParameterValue", "UpdateProductDynamicRegister",
                             {"ProductId": product_id, "RegisterType": 3, "RegisterLimit": 10})
        self.assertCallError("ResourceNotFound.ProductNotExist", "UpdateProductDynamicRegister",
                             {"ProductId": "ZZZZZZZZZZ", "RegisterType": 1, "RegisterLimit": 10})
        self.assertCallError("InvalidParameterValue", "UpdateProductDynamicRegister",
                             {"ProductId": product_id, "RegisterType": 1, "RegisterLimit": -5})
        self.assertCallError("MissingParameter", "UpdateProductDynamicRegister", {"ProductId": product_id, "RegisterType": 1})
        pid = self.pid_field("SetProductsForbiddenStatus")
        self.call("SetProductsForbiddenStatus", {pid: [product_id], "Status": 1})
        self.assertCallError("UnauthorizedOperation.ProductIsForbidden", "UpdateProductDynamicRegister",
                             {"ProductId": product_id, "RegisterType": 2, "RegisterLimit": 10})

    def test_SetProductsForbiddenStatus(self):
        first, second = self.new_product(), self.new_product()
        pid = self.pid_field("SetProductsForbiddenStatus")
        self.call("SetProductsForbiddenStatus", {pid: [first, second], "Status": 1})
        raw = self.call("DescribeProduct", {"ProductId": first}) and self.last_raw()
        if self.version == V2021:
            self.assertEqual(raw["ProductProperties"]["ForbiddenStatus"], 1)
        self.assertCallError("UnauthorizedOperation.ProductIsForbidden", "CreateDevice",
                             {"ProductId": second, "DeviceName": unique_name("dev")})
        self.call("SetProductsForbiddenStatus", {pid: [first, second], "Status": 0})
        self.new_device(second)
        if self.version == V2021:
            self.assertEqual(self.call("DescribeProduct", {"ProductId": first}).ProductProperties.ForbiddenStatus, 0)

        self.assertCallError("ResourceNotFound.ProductNotExist", "SetProductsForbiddenStatus", {pid: ["ZZZZZZZZZZ"], "Status": 1})
        self.assertCallError("InvalidParameterValue", "SetProductsForbiddenStatus", {pid: [first], "Status": 2})
        other = "ProductId" if pid == "ProductID" else "ProductID"
        self.assertError("UnknownParameter", self.call_json, "SetProductsForbiddenStatus", {other: [first], "Status": 1})

    # -- devices --

    def test_CreateDevice(self):
        psk_product = self.new_product("2")
        name, response = self.new_device(psk_product, Attribute={"Tags": [{"Tag": "note", "Type": 2, "Value": "\u6e29\u5ea6", "Name": "Note"}]})
        self.assertEqual(response.DeviceName, name)
        self.assertEqual(len(base64.b64decode(response.DevicePsk, validate=True)), 16)
        self.assertEqual(response.DeviceCert, "")
        self.assertEqual(response.DevicePrivateKey, "")
        tags = self.describe_device(psk_product, name).Tags
        self.assertEqual([(t.Tag, t.Type, t.Value, t.Name) for t in tags], [("note", 2, "\u6e29\u5ea6", "Note")])

        defined = random_psk()
        _, response = self.new_device(psk_product, DefinedPsk=defined)
        self.assertEqual(response.DevicePsk, defined)

        cert_product = self.new_product("1")
        _, response = self.new_device(cert_product)
        self.assertEqual(response.DevicePsk, "")
        self.assertIn("-----BEGIN CERTIFICATE-----", response.DeviceCert)
        self.assertIn("PRIVATE KEY-----", response.DevicePrivateKey)

        self.assertCallError("InvalidParameterValue.DeviceAlreadyExist", "CreateDevice", {"ProductId": psk_product, "DeviceName": name})
        self.assertCallError("InvalidParameterValue.DefinedPskNotBase64", "CreateDevice",
                             {"ProductId": psk_product, "DeviceName": unique_name("dev"), "DefinedPsk": "not base64!"})
        self.assertCallError("UnauthorizedOperation.ProductNotSupportPSK", "CreateDevice",
                             {"ProductId": cert_product, "DeviceName": unique_name("dev"), "DefinedPsk": random_psk()})
        self.assertCallError("ResourceNotFound.ProductNotExist", "CreateDevice", {"ProductId": "ZZZZZZZZZZ", "DeviceName": "dev1"})
        self.assertCallError("InvalidParameterValue", "CreateDevice", {"ProductId": psk_product, "DeviceName": "bad name/with slash"})
        self.assertCallError("MissingParameter", "CreateDevice", {"ProductId": psk_product})
        self.assertCallError("MissingParameter", "CreateDevice",
                             {"ProductId": psk_product, "DeviceName": unique_name("dev"), "Attribute": {"Tags": [{"Tag": "x", "Type": 2}]}})

    def test_DescribeDevice(self):
        product_id = self.new_product("2")
        name, created = self.new_device(product_id)
        before = int(time.time())
        device = self.describe_device(product_id, name)
        self.assertEqual(device.DeviceName, name)
        self.assertEqual(device.DevicePsk, created.DevicePsk)
        self.assertEqual(device.Online, 3)  # never activated
        self.assertEqual(device.EnableState, 1)
        self.assertEqual(device.CertState, 0)
        self.assertEqual(device.LoginTime, 0)
        self.assertEqual(device.ConnIP, 0)
        self.assertLessEqual(abs(device.CreateTime - before), 60)
        self.assertEqual(device.Tags, [])
        raw = self.last_raw()
        if self.version == V2021:
            self.assertEqual(raw["CreateUserId"], 0)
            self.assertEqual(raw["NBIoTDeviceID"], "")
        else:
            self.assertNotIn("CreateUserId", raw)
            self.assertNotIn("NBIoTDeviceID", raw)

        pid = self.pid_field("DescribeDevice")
        self.assertCallError("ResourceNotFound.DeviceNotExist", "DescribeDevice", {pid: product_id, "DeviceName": "nosuchdevice"})
        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeDevice", {pid: "ZZZZZZZZZZ", "DeviceName": name})
        self.assertCallError("MissingParameter", "DescribeDevice", {pid: product_id})
        # The other version's spelling is refused (cloud-api.md §9); the model cannot send it, call_json can.
        other = "ProductId" if pid == "ProductID" else "ProductID"
        self.assertError("UnknownParameter", self.call_json, "DescribeDevice", {other: product_id, "DeviceName": name})

    def test_DescribeDevices(self):
        product_id = self.new_product("2")
        names = sorted(self.new_device(product_id)[0] for _ in range(3))
        self.call("UpdateDeviceAvailableState", {"ProductId": product_id, "DeviceName": names[0], "EnableState": 0})
        response = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10})
        self.assertEqual(response.TotalCount, 3)
        self.assertEqual(sorted(d.DeviceName for d in response.Devices), names)
        for device in response.Devices:
            self.assertEqual(device.DevicePsk, "")  # the list hides secrets
            self.assertEqual(device.Online, 3)
        one = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "DeviceName": names[1]})
        self.assertEqual([d.DeviceName for d in one.Devices], [names[1]])
        disabled = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "EnableState": 0})
        self.assertEqual([(d.DeviceName, d.EnableState) for d in disabled.Devices], [(names[0], 0)])
        no_version = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "FirmwareVersion": "None-FirmwareVersion"})
        self.assertEqual(no_version.TotalCount, 3)
        versioned = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "FirmwareVersion": "1.0.0"})
        self.assertEqual((versioned.TotalCount, versioned.Devices), (0, []))
        paged = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 2, "Limit": 10})
        self.assertEqual((paged.TotalCount, len(paged.Devices)), (3, 1))

        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeDevices", {"ProductId": "ZZZZZZZZZZ", "Offset": 0, "Limit": 10})
        self.assertCallError("InvalidParameterValue", "DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 1000})
        self.assertCallError("InvalidParameterValue", "DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "EnableState": 5})
        self.assertCallError("MissingParameter", "DescribeDevices", {"ProductId": product_id, "Offset": 0})
        self.assertError("InvalidParameter", self.call_json, "DescribeDevices", {"ProductId": product_id, "Offset": "zero", "Limit": 10})

    def test_DeleteDevice(self):
        product_id = self.new_product()
        name, _ = self.new_device(product_id)
        self.call("DeleteDevice", {"ProductId": product_id, "DeviceName": name})
        self.assertCallError("ResourceNotFound.DeviceNotExist", "DescribeDevice", {self.pid_field("DescribeDevice"): product_id, "DeviceName": name})
        self.assertCallError("ResourceNotFound.DeviceNotExist", "DeleteDevice", {"ProductId": product_id, "DeviceName": name})
        self.assertCallError("ResourceNotFound.ProductNotExist", "DeleteDevice", {"ProductId": "ZZZZZZZZZZ", "DeviceName": name})
        # The product is empty now and can go.
        self.call("DeleteProduct", {"ProductId": product_id})

    def test_UpdateDeviceAvailableState(self):
        product_id = self.new_product()
        name, _ = self.new_device(product_id)
        self.call("UpdateDeviceAvailableState", {"ProductId": product_id, "DeviceName": name, "EnableState": 0})
        self.assertEqual(self.describe_device(product_id, name).EnableState, 0)
        self.call("UpdateDeviceAvailableState", {"ProductId": product_id, "DeviceName": name, "EnableState": 1})
        self.assertEqual(self.describe_device(product_id, name).EnableState, 1)

        self.assertCallError("ResourceNotFound.DeviceNotExist", "UpdateDeviceAvailableState",
                             {"ProductId": product_id, "DeviceName": "nosuchdevice", "EnableState": 0})
        self.assertCallError("ResourceNotFound.ProductNotExist", "UpdateDeviceAvailableState",
                             {"ProductId": "ZZZZZZZZZZ", "DeviceName": name, "EnableState": 0})
        self.assertCallError("InvalidParameterValue", "UpdateDeviceAvailableState",
                             {"ProductId": product_id, "DeviceName": name, "EnableState": 2})
        self.assertCallError("MissingParameter", "UpdateDeviceAvailableState", {"ProductId": product_id, "DeviceName": name})

    def test_UpdateDevicesEnableState(self):
        product_id = self.new_product()
        names = [self.new_device(product_id)[0] for _ in range(2)]
        pid = self.pid_field("UpdateDevicesEnableState")
        self.call("UpdateDevicesEnableState", {pid: product_id, "DeviceNames": names, "Status": 0})
        for name in names:
            self.assertEqual(self.describe_device(product_id, name).EnableState, 0)
        self.call("UpdateDevicesEnableState", {pid: product_id, "DeviceNames": names[:1], "Status": 1})
        self.assertEqual([self.describe_device(product_id, n).EnableState for n in names], [1, 0])

        self.assertCallError("ResourceNotFound.ProductNotExist", "UpdateDevicesEnableState",
                             {pid: "ZZZZZZZZZZ", "DeviceNames": names, "Status": 1})
        self.assertCallError("ResourceNotFound.DeviceNotExist", "UpdateDevicesEnableState",
                             {pid: product_id, "DeviceNames": [names[1], "nosuchdevice"], "Status": 1})
        self.assertEqual(self.describe_device(product_id, names[1]).EnableState, 0)  # all or nothing
        self.assertCallError("InvalidParameterValue", "UpdateDevicesEnableState", {pid: product_id, "DeviceNames": names, "Status": 3})
        other = "ProductId" if pid == "ProductID" else "ProductID"
        self.assertError("UnknownParameter", self.call_json, "UpdateDevicesEnableState", {other: product_id, "DeviceNames": names, "Status": 1})

    def test_ResetDeviceState(self):
        product_id = self.new_product()
        name, _ = self.new_device(product_id)
        response = self.call("ResetDeviceState", {"ProductId": product_id, "DeviceNames": [name, "nosuchdevice"]})
        self.assertEqual(response.SuccessCount, 1)
        results = {r.DeviceName: r for r in response.ResetDeviceResults}
        self.assertIs(results[name].Success, True)
        self.assertIs(results["nosuchdevice"].Success, False)
        self.assertEqual(results["nosuchdevice"].Reason, "device not exists")
        self.assertEqual(self.describe_device(product_id, name).Online, 3)

        self.assertCallError("ResourceNotFound.ProductNotExist", "ResetDeviceState", {"ProductId": "ZZZZZZZZZZ", "DeviceNames": [name]})
        self.assertCallError("MissingParameter", "ResetDeviceState", {"ProductId": product_id})
        self.assertError("InvalidParameter", self.call_json, "ResetDeviceState", {"ProductId": product_id, "DeviceNames": name})

    def test_DescribeDeviceClientKey(self):
        cert_product = self.new_product("1")
        name, created = self.new_device(cert_product)
        response = self.call("DescribeDeviceClientKey", {"ProductId": cert_product, "DeviceName": name})
        self.assertIn("PRIVATE KEY-----", response.ClientKey)
        self.assertEqual(response.ClientKey.strip(), created.DevicePrivateKey.strip())
        self.assertEqual(self.describe_device(cert_product, name).CertState, 1)

        self.assertCallError("UnsupportedOperation.ClientCertAlreadyGot", "DescribeDeviceClientKey", {"ProductId": cert_product, "DeviceName": name})
        psk_product = self.new_product("2")
        psk_device, _ = self.new_device(psk_product)
        self.assertCallError("UnsupportedOperation.WrongProductAuthType", "DescribeDeviceClientKey",
                             {"ProductId": psk_product, "DeviceName": psk_device})
        self.assertCallError("ResourceNotFound.DeviceNotExist", "DescribeDeviceClientKey", {"ProductId": cert_product, "DeviceName": "nosuchdevice"})

    # -- hub actions (not in the SDK model): the SDK's generic call_json, still officially signed --

    def test_ResetDeviceRegistration(self):
        psk_product = self.new_product("2")
        name, created = self.new_device(psk_product)
        response = self.call_json("ResetDeviceRegistration", {"ProductId": psk_product, "DeviceName": name})
        self.assertEqual(response["DeviceName"], name)
        self.assertIsInstance(response["DevicePsk"], str)
        self.assertEqual(len(base64.b64decode(response["DevicePsk"], validate=True)), 16)
        self.assertNotEqual(response["DevicePsk"], created.DevicePsk)
        self.assertEqual(response["DeviceCert"], "")
        device = self.describe_device(psk_product, name)
        self.assertEqual((device.DevicePsk, device.Online, device.CertState), (response["DevicePsk"], 3, 0))

        cert_product = self.new_product("1")
        cert_name, cert_created = self.new_device(cert_product)
        self.call("DescribeDeviceClientKey", {"ProductId": cert_product, "DeviceName": cert_name})
        reset = self.call_json("ResetDeviceRegistration", {"ProductId": cert_product, "DeviceName": cert_name})
        self.assertIn("-----BEGIN CERTIFICATE-----", reset["DeviceCert"])
        self.assertNotEqual(reset["DeviceCert"], cert_created.DeviceCert)
        self.assertEqual(reset["DevicePsk"], "")
        # The new key can be fetched once again.
        self.call("DescribeDeviceClientKey", {"ProductId": cert_product, "DeviceName": cert_name})

        self.assertError("ResourceNotFound.DeviceNotExist", self.call_json, "ResetDeviceRegistration", {"ProductId": psk_product, "DeviceName": "nosuchdevice"})
        self.assertError("ResourceNotFound.ProductNotExist", self.call_json, "ResetDeviceRegistration", {"ProductId": "ZZZZZZZZZZ", "DeviceName": name})
        self.assertError("MissingParameter", self.call_json, "ResetDeviceRegistration", {"ProductId": psk_product})
        self.assertError("UnknownParameter", self.call_json, "ResetDeviceRegistration", {"ProductId": psk_product, "DeviceName": name, "Bogus": 1})

    def test_DescribeRegistrationLogs(self):
        product_id = self.new_product("2")
        secret = self.call("UpdateProductDynamicRegister", {"ProductId": product_id, "RegisterType": 2, "RegisterLimit": 10}).ProductSecret
        name = unique_name("reg")
        start = int(time.time()) - 1
        registered = legacy_register(product_id, name, secret)
        self.assertEqual(registered["code"], 0, registered)
        self.assertIsInstance(registered["payload"], str)
        time.sleep(0.01)  # distinct audit timestamps for the order check below
        self.assertEqual(legacy_register(product_id, name, "WRONG" + secret)["code"], 1010)
        device = self.describe_device(product_id, name)  # auto-created by registration
        self.assertEqual(device.CertState, 1)

        logs = self.wait_for_logs({"ProductId": product_id, "DeviceName": name}, 2)
        self.assertEqual(logs["TotalCount"], 2)
        for entry in logs["Logs"]:
            self.assertEqual((entry["ProductId"], entry["DeviceName"], entry["Endpoint"]), (product_id, name, "legacy"))
            self.assertIsInstance(entry["Time"], int)
            self.assertGreaterEqual(entry["Time"], start * 1000)
            for field in ("SourceAddress", "Reason", "Detail"):
                self.assertIsInstance(entry[field], str)
        # Newest first.
        self.assertEqual([e["Result"] for e in logs["Logs"]], ["failure", "success"])
        self.assertEqual([e["Reason"] for e in logs["Logs"]], ["signature_mismatch", "registered"])

        failures = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "Result": "failure"})
        self.assertEqual([e["Result"] for e in failures["Logs"]], ["failure"])
        by_reason = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "Reason": "registered"})
        self.assertEqual(by_reason["TotalCount"], 1)
        paged = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "Offset": 1, "Limit": 1})
        self.assertEqual((paged["TotalCount"], len(paged["Logs"])), (2, 1))
        self.assertEqual(paged["Logs"][0]["Result"], "success")
        window = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "StartTime": start, "EndTime": int(time.time()) + 2})
        self.assertEqual(window["TotalCount"], 2)
        future = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "StartTime": int(time.time()) + 3600})
        self.assertEqual((future["TotalCount"], future["Logs"]), (0, []))

        self.assertError("InvalidParameterValue", self.call_json, "DescribeRegistrationLogs", {"Result": "maybe"})
        self.assertError("InvalidParameterValue", self.call_json, "DescribeRegistrationLogs", {"Limit": 0})
        self.assertError("InvalidParameter", self.call_json, "DescribeRegistrationLogs", {"Offset": "first"})

    def wait_for_logs(self, query, count, timeout=10):
        deadline = time.time() + timeout
        while True:
            logs = self.call_json("DescribeRegistrationLogs", query)
            self.assertIsInstance(logs["TotalCount"], int)
            self.assertIsInstance(logs["Logs"], list)
            if logs["TotalCount"] >= count or time.time() > deadline:
                return logs
            time.sleep(0.2)


def legacy_register(product_id, device_name, product_secret):
    """Dynamic registration as the C SDK does it (device-protocol.md §3.1), to produce audit entries."""
    nonce = random.randint(1, 2**31 - 1)
    timestamp = int(time.time())
    to_sign = "deviceName=%s&nonce=%d&productId=%s&timestamp=%d" % (device_name, nonce, product_id, timestamp)
    digest = hmac.new(product_secret.encode(), to_sign.encode(), hashlib.sha1).hexdigest()
    body = json.dumps({"deviceName": device_name, "nonce": nonce, "productId": product_id, "timestamp": timestamp,
                       "signature": base64.b64encode(digest.encode()).decode()}, separators=(",", ":"))
    request = urllib.request.Request(HTTP_URL + "/register/dev", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with URL_OPENER.open(request, timeout=30) as response:
        return json.loads(response.read())


class SDK2021Tests(ActionTestsMixin, SDKTestCase):
    version = V2021

    def test_UpdateDevicePSK(self):
        product_id = self.new_product("2")
        name, created = self.new_device(product_id)
        psk = random_psk()
        self.call("UpdateDevicePSK", {"ProductId": product_id, "DeviceName": name, "Psk": psk})
        self.assertEqual(self.describe_device(product_id, name).DevicePsk, psk)

        self.assertCallError("InvalidParameterValue.DefinedPskNotBase64", "UpdateDevicePSK",
                             {"ProductId": product_id, "DeviceName": name, "Psk": "%%%"})
        self.assertCallError("InvalidParameterValue.DefinedPskNotBase64", "UpdateDevicePSK",
                             {"ProductId": product_id, "DeviceName": name, "Psk": base64.b64encode(b"x" * 49).decode()})
        self.assertEqual(self.describe_device(product_id, name).DevicePsk, psk)
        cert_product = self.new_product("1")
        cert_device, _ = self.new_device(cert_product)
        self.assertCallError("UnauthorizedOperation.ProductNotSupportPSK", "UpdateDevicePSK",
                             {"ProductId": cert_product, "DeviceName": cert_device, "Psk": psk})
        self.assertCallError("ResourceNotFound.DeviceNotExist", "UpdateDevicePSK",
                             {"ProductId": product_id, "DeviceName": "nosuchdevice", "Psk": psk})
        self.assertCallError("MissingParameter", "UpdateDevicePSK", {"ProductId": product_id, "DeviceName": name})


    # -- gateway topology (cloud-api.md §7.10) --

    def test_BindDevices_and_UnbindDevices(self):
        gateway_product = self.new_product("2", ProductType=5)
        gateway, _ = self.new_device(gateway_product)
        sub_product = self.new_product("2")
        names = [self.new_device(sub_product)[0] for _ in range(2)]
        topology = {"GatewayProductId": gateway_product, "GatewayDeviceName": gateway, "ProductId": sub_product, "DeviceNames": names}
        self.call("BindDevices", topology)
        self.call("BindDevices", topology)  # bound to this gateway already: accepted
        other, _ = self.new_device(gateway_product)
        self.assertCallError("UnauthorizedOperation.DeviceHasAlreadyBindGateway", "BindDevices",
                             dict(topology, GatewayDeviceName=other))
        self.assertCallError("InvalidParameterValue.DeviceIsNotGateway", "BindDevices",
                             dict(topology, GatewayProductId=sub_product, GatewayDeviceName=names[0]))
        self.assertCallError("ResourceNotFound.DeviceNotExist", "BindDevices", dict(topology, DeviceNames=["nosuchdevice"]))
        self.assertCallError("UnauthorizedOperation.DeviceHasAlreadyBindGateway", "DeleteDevice",
                             {"ProductId": sub_product, "DeviceName": names[0]})
        listed = self.call("DescribeGatewayBindDevices", {"GatewayProductId": gateway_product, "GatewayDeviceName": gateway,
                                                          "Offset": 0, "Limit": 10})
        self.assertEqual(listed.TotalCount, 2)
        self.assertEqual([d.DeviceName for d in listed.Devices], names)
        self.assertEqual({d.ProductId for d in listed.Devices}, {sub_product})
        self.assertTrue(all(isinstance(d.BindTime, int) and d.BindTime > 0 for d in listed.Devices))
        self.call("UnbindDevices", topology)
        self.assertEqual(self.call("DescribeGatewayBindDevices", {"GatewayProductId": gateway_product, "GatewayDeviceName": gateway,
                                                                  "Offset": 0, "Limit": 10}).TotalCount, 0)
        self.call("DeleteDevice", {"ProductId": sub_product, "DeviceName": names[0]})


class SDK2018Tests(ActionTestsMixin, SDKTestCase):
    version = V2018

    def test_UpdateDevicePSK_not_in_2018(self):
        # UpdateDevicePSK exists only in 2021-04-08; the 2018 SDK module has no method for it.
        self.assertFalse(hasattr(self.client, "UpdateDevicePSK"))
        product_id = self.new_product("2")
        name, _ = self.new_device(product_id)
        self.assertError("InvalidAction", self.call_json, "UpdateDevicePSK", {"ProductId": product_id, "DeviceName": name, "Psk": random_psk()})

    def test_2021_only_fields_are_refused(self):
        product_id = self.new_product("1")
        self.assertError("UnknownParameter", self.call_json, "CreateDevice", {"ProductId": product_id, "DeviceName": unique_name("dev"), "TlsCrt": "x"})
        self.assertError("UnknownParameter", self.call_json, "CreateProduct",
                         {"ProductName": unique_name(), "ProductProperties": {"EncryptionType": "2", "ForbiddenStatus": 1}})

    def test_versions_share_the_registry(self):
        product_id = self.new_product("2")
        name, created = self.new_device(product_id)
        client_2021 = make_client(V2021)
        # The SDK signs only content-type;host: CreateDevice above and DescribeDevice below have the same
        # body, so in the same second they carry the same signature, and from another client (connection)
        # the hub refuses the second as a replay (README "Management API replay"). Sign in the next second.
        wait_for_next_second()
        device = self.call("DescribeDevice", {"ProductId": product_id, "DeviceName": name}, client=client_2021)
        self.assertEqual(device.DevicePsk, created.DevicePsk)


# ---------------------------------------------------------------------------------------------------
# Authentication, envelopes, signature methods, request methods


class ProtocolTests(SDKTestCase):
    def test_wrong_secret_key(self):
        for sign_method in ("TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"):
            for req_method in ("POST", "GET"):
                client = make_client(sign_method=sign_method, req_method=req_method, secret_key=SECRET_KEY + "x")
                with self.subTest(sign_method=sign_method, req_method=req_method):
                    self.assertCallError("AuthFailure.SignatureFailure", "DescribeProducts", {"Offset": 0, "Limit": 10}, client)

    def test_unknown_secret_id(self):
        for sign_method in ("TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"):
            client = make_client(sign_method=sign_method, secret_id="AKIDunknown" + uuid.uuid4().hex)
            with self.subTest(sign_method=sign_method):
                self.assertCallError("AuthFailure.SecretIdNotFound", "DescribeProducts", {"Offset": 0, "Limit": 10}, client)

    def test_stale_timestamp(self):
        for sign_method in ("TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"):
            client = make_client(sign_method=sign_method)
            for offset in (-301 - 60, 301 + 60):
                with self.subTest(sign_method=sign_method, offset=offset), stale_clock(offset):
                    self.assertCallError("AuthFailure.SignatureExpire", "DescribeProducts", {"Offset": 0, "Limit": 10}, client)
            with stale_clock(-200):  # inside the ±300 s window
                self.call("DescribeProducts", {"Offset": 0, "Limit": 10}, client)

    def test_verification_order(self):
        # cloud-api.md §3.2: SecretId, then timestamp, then signature, then version and action.
        unknown = make_client(secret_id="AKIDunknown" + uuid.uuid4().hex, secret_key=SECRET_KEY + "x")
        with stale_clock(-3600):
            self.assertCallError("AuthFailure.SecretIdNotFound", "DescribeProducts", {"Offset": 0, "Limit": 10}, unknown)
        wrong_key = make_client(secret_key=SECRET_KEY + "x")
        with stale_clock(-3600):
            self.assertCallError("AuthFailure.SignatureExpire", "DescribeProducts", {"Offset": 0, "Limit": 10}, wrong_key)
        wrong_key._apiVersion = "2017-01-01"
        self.assertError("AuthFailure.SignatureFailure", wrong_key.call_json, "NoSuchAction", {})

    def test_errors_are_detected_as_errors(self):
        # cloud-api.md §1 item 2: with `Content-Type: application/json; charset=utf-8` the SDK ignores
        # `Response.Error` and returns a model full of None. The error must raise.
        try:
            response = self.client.DescribeProduct(self._describe_product_request("ZZZZZZZZZZ"))
        except TencentCloudSDKException as error:
            self.assertEqual(error.code, "ResourceNotFound.ProductNotExist")
        else:
            self.fail("an error answer was taken for a success: %s" % response.to_json_string())
        http = self.client.raw_responses[-1]
        self.assertEqual(http.status_code, 200)
        self.assertEqual(http.headers.get("Content-Type"), "application/json")
        body = json.loads(http.content)
        self.assertEqual(set(body["Response"]), {"Error", "RequestId"})
        self.assertEqual(set(body["Response"]["Error"]), {"Code", "Message"})
        # Success answers carry the same exact content type.
        self.call("DescribeProducts", {"Offset": 0, "Limit": 10})

    def _describe_product_request(self, product_id):
        request = self.models.DescribeProductRequest()
        request.ProductId = product_id
        return request

    def test_unsigned_and_malformed_requests_get_envelopes(self):
        cases = [
            ("POST", {"Content-Type": "application/json", "X-TC-Action": "DescribeProducts", "X-TC-Version": V2021}, b"{}", "AuthFailure.InvalidAuthorization"),
            ("POST", {"Content-Type": "application/json", "Authorization": "garbage"}, b"{}", "AuthFailure.InvalidAuthorization"),
            ("PUT", {"Content-Type": "application/json"}, b"{}", None),
        ]
        for method, headers, body, code in cases:
            with self.subTest(method=method, headers=headers):
                request = urllib.request.Request("http://%s/" % ENDPOINT, data=body, method=method, headers=headers)
                try:
                    response = URL_OPENER.open(request, timeout=30)
                except urllib.error.HTTPError as error:
                    self.fail("HTTP %d instead of 200 with an error envelope: %r" % (error.code, error.read()[:200]))
                self.assertEqual(response.status, 200)
                self.assertEqual(response.headers.get("Content-Type"), "application/json")
                envelope = json.loads(response.read())["Response"]
                self.assertRegex(envelope["RequestId"], UUID_RE)
                if code:
                    self.assertEqual(envelope["Error"]["Code"], code)
                else:
                    self.assertIn(envelope["Error"]["Code"], ("UnsupportedProtocol", "AuthFailure.InvalidAuthorization"))

    def test_version_and_action_errors(self):
        client = make_client()
        client._apiVersion = "2017-01-01"
        self.assertError("NoSuchVersion", client.call_json, "DescribeProducts", {"Offset": 0, "Limit": 10})
        self.assertError("InvalidAction", self.client.call_json, "NoSuchAction", {})
        # A real iotcloud action the hub does not implement (topic policies).
        self.assertError("UnsupportedOperation", self.client.call_json, "CreateTopicPolicy",
                         {"ProductId": "ZZZZZZZZZZ", "TopicName": "x", "Privilege": 1})
        self.assertError("UnknownParameter", self.client.call_json, "DescribeProduct", {"ProductId": "ZZZZZZZZZZ", "Extra": 1})

    def test_sign_methods_and_request_methods(self):
        for sign_method in ("TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"):
            for req_method in ("POST", "GET"):
                client = make_client(sign_method=sign_method, req_method=req_method, language="zh-CN")
                with self.subTest(sign_method=sign_method, req_method=req_method):
                    self.exercise_flattened_actions(client)

    def exercise_flattened_actions(self, client):
        """Nested structures, lists, integers and non-ASCII text through the flattened forms."""
        name = unique_name()
        product = self.call("CreateProduct", {"ProductName": name, "ProductProperties": {"EncryptionType": "2", "RegisterLimit": 7}}, client)
        self.assertEqual((product.ProductName, product.ProductProperties.EncryptionType, product.ProductProperties.RegisterLimit), (name, "2", 7))
        product_id = product.ProductId
        device_name = unique_name("dev")
        psk = random_psk()
        created = self.call("CreateDevice", {
            "ProductId": product_id, "DeviceName": device_name, "DefinedPsk": psk,
            "Attribute": {"Tags": [{"Tag": "a", "Type": 2, "Value": "\u6e29\u5ea6 & = +"}, {"Tag": "b", "Type": 1, "Value": "42"}]},
        }, client)
        self.assertEqual(created.DevicePsk, psk)
        device = self.call("DescribeDevice", {"ProductId": product_id, "DeviceName": device_name}, client)
        self.assertEqual([(t.Tag, t.Type, t.Value) for t in device.Tags], [("a", 2, "\u6e29\u5ea6 & = +"), ("b", 1, "42")])
        devices = self.call("DescribeDevices", {"ProductId": product_id, "Offset": 0, "Limit": 10, "EnableState": 1}, client)
        self.assertEqual([d.DeviceName for d in devices.Devices], [device_name])
        reset = self.call("ResetDeviceState", {"ProductId": product_id, "DeviceNames": [device_name, "other"]}, client)
        self.assertEqual(reset.SuccessCount, 1)
        self.call("SetProductsForbiddenStatus", {"ProductId": [product_id], "Status": 0}, client)
        logs = self.call_json("DescribeRegistrationLogs", {"ProductId": product_id, "Limit": 5}, client)
        self.assertEqual(logs["TotalCount"], 0)
        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": "ZZZZZZZZZZ"}, client)
        self.assertCallError("InvalidParameterValue.DeviceAlreadyExist", "CreateDevice", {"ProductId": product_id, "DeviceName": device_name}, client)

    def test_endpoint_with_scheme_and_no_region(self):
        # Endpoint with the scheme and protocol left at its default: the Host header then carries the
        # scheme, as with tccli (cloud-api.md §1 item 5). No region: no X-TC-Region header.
        client = make_client(endpoint="http://" + ENDPOINT, protocol="https", region="")
        self.call("DescribeProducts", {"Offset": 0, "Limit": 10}, client)
        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": "ZZZZZZZZZZ"}, client)

    def test_unsigned_payload_token_and_request_client(self):
        # ClientProfile.unsignedPayload: X-TC-Content-SHA256: UNSIGNED-PAYLOAD, payload hash of that text;
        # a temporary-credential token (X-TC-Token) is ignored; a custom RequestClient is informational.
        for req_method in ("POST", "GET"):
            client = make_client(req_method=req_method)
            client.profile.unsignedPayload = True
            client.credential = credential.Credential(SECRET_ID, SECRET_KEY, "TOKEN123")
            client.request_client = client._sdkVersion + "; OFFICIAL_CLIENTS_TEST"
            with self.subTest(req_method=req_method):
                product_id = self.call("CreateProduct", {"ProductName": unique_name(), "ProductProperties": {"EncryptionType": "2"}}, client).ProductId
                self.assertEqual(self.call("DescribeProduct", {"ProductId": product_id}, client).ProductId, product_id)
                self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": "ZZZZZZZZZZ"}, client)
        tampered = make_client()
        tampered.profile.unsignedPayload = True
        tampered.credential = credential.Credential(SECRET_ID, SECRET_KEY + "x")
        self.assertCallError("AuthFailure.SignatureFailure", "DescribeProducts", {"Offset": 0, "Limit": 10}, tampered)

    def test_request_ids_are_fresh(self):
        ids = {self.call("DescribeProducts", {"Offset": 0, "Limit": 10}).RequestId for _ in range(3)}
        self.assertEqual(len(ids), 3)


# ---------------------------------------------------------------------------------------------------
# tccli
#
# tccli validates action names against its bundled iotcloud model, so the hub-only actions
# ResetDeviceRegistration and DescribeRegistrationLogs cannot be sent with it (it stops with a usage
# error before any request); they are covered through the Python SDK's call_json above.


class TccliTests(SDKTestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.TemporaryDirectory(prefix="tccli-home-")

    @classmethod
    def tearDownClass(cls):
        cls.home.cleanup()

    def tccli(self, action, *args, version=None, unfold=False, secret_key=SECRET_KEY):
        command = [TCCLI, "iotcloud", action]
        if unfold:
            command.append("--cli-unfold-argument")
        command += [str(a) for a in args]
        command += ["--endpoint", "http://" + ENDPOINT]
        if version:
            command += ["--version", version]
        env = dict(os.environ, HOME=self.home.name, TENCENTCLOUD_SECRET_ID=SECRET_ID, TENCENTCLOUD_SECRET_KEY=secret_key,
                   TENCENTCLOUD_REGION=REGION)
        for name in ("TENCENTCLOUD_SESSION_TOKEN", "TENCENTCLOUD_PROFILE"):
            env.pop(name, None)
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    def run_ok(self, action, *args, version=V2021, unfold=False, schema=True):
        result = self.tccli(action, *args, version=version, unfold=unfold)
        self.assertEqual(result.returncode, 0, "tccli %s failed:\n%s%s" % (action, result.stdout, result.stderr))
        response = json.loads(result.stdout)
        if schema:
            check_schema(self, response, action + "Response", version)
        return response

    def run_error(self, code, action, *args, version=V2021, unfold=False, secret_key=SECRET_KEY):
        result = self.tccli(action, *args, version=version, unfold=unfold, secret_key=secret_key)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 255, "tccli %s: exit %d, expected 255:\n%s" % (action, result.returncode, output))
        self.assertIn("[TencentCloudSDKException]", output)
        self.assertIn("code:%s " % code, output)
        self.assertRegex(output, r"requestId:[0-9a-f-]{36}")

    def test_products(self):
        name = unique_name("cli")
        created = self.run_ok("CreateProduct", "--ProductName", name, "--ProductProperties.EncryptionType", 2,
                              "--ProductProperties.ProductDescription", "from tccli", unfold=True)
        product_id = created["ProductId"]
        self.assertEqual((created["ProductName"], created["ProductProperties"]["EncryptionType"]), (name, "2"))
        self.assertEqual(created["ProductProperties"]["ProductDescription"], "from tccli")
        self.run_error("InvalidParameterValue.ProductAlreadyExist", "CreateProduct", "--ProductName", name)

        described = self.run_ok("DescribeProduct", "--ProductId", product_id)
        self.assertEqual(described["ProductName"], name)
        self.assertIsInstance(described["ProductMetadata"]["CreationDate"], int)
        self.run_error("ResourceNotFound.ProductNotExist", "DescribeProduct", "--ProductId", "ZZZZZZZZZZ")

        listed = self.run_ok("DescribeProducts", "--Offset", 0, "--Limit", 10, version=V2018)
        self.assertIsInstance(listed["TotalCount"], int)
        self.assertGreaterEqual(listed["TotalCount"], 1)
        self.assertEqual(len(listed["Products"]), min(listed["TotalCount"], 10))
        for product in listed["Products"]:
            self.assertEqual(list(product["ProductMetadata"]), ["CreationDate"])
        self.run_error("InvalidParameterValue", "DescribeProducts", "--Offset", 0, "--Limit", 1000)

        dynamic = self.run_ok("UpdateProductDynamicRegister", "--ProductId", product_id, "--RegisterType", 1, "--RegisterLimit", 20)
        self.assertEqual((dynamic["RegisterType"], dynamic["RegisterLimit"]), (1, 20))
        self.assertRegex(dynamic["ProductSecret"], r"^[A-Za-z0-9]{24}$")
        self.run_error("InvalidParameterValue", "UpdateProductDynamicRegister", "--ProductId", product_id, "--RegisterType", 9, "--RegisterLimit", 1)

        self.run_ok("SetProductsForbiddenStatus", "--ProductId", product_id, "--Status", 1, unfold=True)
        self.assertEqual(self.run_ok("DescribeProduct", "--ProductId", product_id)["ProductProperties"]["ForbiddenStatus"], 1)
        self.run_ok("SetProductsForbiddenStatus", "--ProductID", product_id, "--Status", 0, unfold=True, version=V2018)
        self.run_error("ResourceNotFound.ProductNotExist", "SetProductsForbiddenStatus", "--ProductId", '["ZZZZZZZZZZ"]', "--Status", 1)

        self.call("CreateDevice", {"ProductId": product_id, "DeviceName": "blocker"})
        self.run_error("UnauthorizedOperation.DevicesExistUnderProduct", "DeleteProduct", "--ProductId", product_id)
        self.call("DeleteDevice", {"ProductId": product_id, "DeviceName": "blocker"})
        self.run_ok("DeleteProduct", "--ProductId", product_id)
        self.assertCallError("ResourceNotFound.ProductNotExist", "DescribeProduct", {"ProductId": product_id})

    def test_devices(self):
        product_id = self.new_product("2")
        name = unique_name("cli")
        created = self.run_ok("CreateDevice", "--ProductId", product_id, "--DeviceName", name,
                              "--Attribute.Tags.0.Tag", "note", "--Attribute.Tags.0.Type", 2, "--Attribute.Tags.0.Value", "\u6e29\u5ea6",
                              unfold=True)
        self.assertEqual(created["DeviceName"], name)
        self.assertEqual(len(base64.b64decode(created["DevicePsk"])), 16)
        self.run_error("InvalidParameterValue.DeviceAlreadyExist", "CreateDevice", "--ProductId", product_id, "--DeviceName", name)

        device = self.run_ok("DescribeDevice", "--ProductId", product_id, "--DeviceName", name)
        self.assertEqual((device["DevicePsk"], device["Online"], device["EnableState"]), (created["DevicePsk"], 3, 1))
        self.assertEqual(device["Tags"], [{"Tag": "note", "Type": 2, "Value": "\u6e29\u5ea6", "Name": None}])
        old = self.run_ok("DescribeDevice", "--ProductID", product_id, "--DeviceName", name, version=V2018)
        self.assertNotIn("CreateUserId", old)
        self.assertEqual(old["DevicePsk"], created["DevicePsk"])
        self.run_error("ResourceNotFound.DeviceNotExist", "DescribeDevice", "--ProductId", product_id, "--DeviceName", "nosuchdevice")

        listed = self.run_ok("DescribeDevices", "--ProductId", product_id, "--Offset", 0, "--Limit", 10)
        self.assertEqual((listed["TotalCount"], [d["DeviceName"] for d in listed["Devices"]]), (1, [name]))
        self.run_error("ResourceNotFound.ProductNotExist", "DescribeDevices", "--ProductId", "ZZZZZZZZZZ", "--Offset", 0, "--Limit", 10)

        self.run_ok("UpdateDeviceAvailableState", "--ProductId", product_id, "--DeviceName", name, "--EnableState", 0)
        self.assertEqual(self.describe_device(product_id, name).EnableState, 0)
        self.run_error("ResourceNotFound.DeviceNotExist", "UpdateDeviceAvailableState", "--ProductId", product_id,
                       "--DeviceName", "nosuchdevice", "--EnableState", 0)

        self.run_ok("UpdateDevicesEnableState", "--ProductId", product_id, "--DeviceNames", name, "--Status", 1, unfold=True)
        self.assertEqual(self.describe_device(product_id, name).EnableState, 1)
        self.run_ok("UpdateDevicesEnableState", "--ProductID", product_id, "--DeviceNames", '["%s"]' % name, "--Status", 1, version=V2018)
        self.run_error("ResourceNotFound.ProductNotExist", "UpdateDevicesEnableState", "--ProductId", "ZZZZZZZZZZ",
                       "--DeviceNames", name, "--Status", 1, unfold=True)

        reset = self.run_ok("ResetDeviceState", "--ProductId", product_id, "--DeviceNames", name, "ghost", unfold=True)
        self.assertEqual(reset["SuccessCount"], 1)
        self.assertEqual([(r["DeviceName"], r["Success"]) for r in reset["ResetDeviceResults"]], [(name, True), ("ghost", False)])
        self.run_error("ResourceNotFound.ProductNotExist", "ResetDeviceState", "--ProductId", "ZZZZZZZZZZ", "--DeviceNames", '["a"]')

        psk = random_psk()
        self.run_ok("UpdateDevicePSK", "--ProductId", product_id, "--DeviceName", name, "--Psk", psk)
        self.assertEqual(self.describe_device(product_id, name).DevicePsk, psk)
        self.run_error("InvalidParameterValue.DefinedPskNotBase64", "UpdateDevicePSK", "--ProductId", product_id, "--DeviceName", name, "--Psk", "***")

        self.run_ok("DeleteDevice", "--ProductId", product_id, "--DeviceName", name)
        self.run_error("ResourceNotFound.DeviceNotExist", "DeleteDevice", "--ProductId", product_id, "--DeviceName", name)

    def test_DescribeDeviceClientKey(self):
        product_id = self.new_product("1")
        name, created = self.new_device(product_id)
        key = self.run_ok("DescribeDeviceClientKey", "--ProductId", product_id, "--DeviceName", name, version=V2018)
        self.assertEqual(key["ClientKey"].strip(), created.DevicePrivateKey.strip())
        self.run_error("UnsupportedOperation.ClientCertAlreadyGot", "DescribeDeviceClientKey", "--ProductId", product_id, "--DeviceName", name)

    def test_authentication_failure(self):
        self.run_error("AuthFailure.SignatureFailure", "DescribeProducts", "--Offset", 0, "--Limit", 10, secret_key=SECRET_KEY + "x")

    def test_hub_actions_are_not_in_the_tccli_model(self):
        result = self.tccli("ResetDeviceRegistration", "--ProductId", "ZZZZZZZZZZ", "--DeviceName", "d")
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("requestId:", result.stdout + result.stderr)


# ---------------------------------------------------------------------------------------------------


def main():
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    only = sys.argv[1:]
    for case in (SDK2021Tests, SDK2018Tests, ProtocolTests, TccliTests):
        tests = loader.loadTestsFromTestCase(case)
        if only:
            tests = unittest.TestSuite(t for t in tests if any(o in t.id() for o in only))
        suite.addTests(tests)
    started = time.time()
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed, %d skipped (%.1f s)" % (passed, failed, len(result.skipped), time.time() - started))
    sys.stdout.flush()
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
