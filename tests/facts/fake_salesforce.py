"""A local server that answers like Salesforce and Account Engagement, over TLS (trustme CA),
for testing the collectors end to end with the real simple-salesforce and requests code.

It serves a fixture org of a few hundred users, speaks SOAP login, OAuth (JWT bearer) token,
REST query with `nextRecordsUrl` pages, Tooling query, and AE API v5 pages; it counts the
requests and injects faults on demand (`FakeOrg.fault(...)`)."""
from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug import Request, Response

API = "59.0"
ORG_ID = "00D5e000000FAKEEAA"
BU_MANAGED = "0Uv5e000000FAKMCAA"
BU_LEGACY = "0Uv5e000000FAKLCAA"
PASSWORD, TOKEN = "correct-horse-battery", "SECTOKEN12345"
N_USERS = 300


def sfid(prefix: str, n: int) -> str:
    return f"{prefix}5e{n:010d}AAA"


@dataclass
class Model:
    """The fixture org, as plain data (the same data the snapshot should end up holding)."""
    users: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)       # Group rows
    members: list[dict[str, Any]] = field(default_factory=list)      # GroupMember rows
    tenants: list[dict[str, Any]] = field(default_factory=list)
    ae_users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def build_model() -> Model:
    m = Model()
    # Role hierarchy: a chain 8 deep, plus a portal role under the top.
    for i in range(8):
        m.roles.append({"Id": sfid("00E", i + 1), "Name": f"Level {i + 1}",
                        "ParentRoleId": sfid("00E", i) if i else None, "PortalType": "None"})
    m.roles.append({"Id": sfid("00E", 50), "Name": "Partner Role", "ParentRoleId": sfid("00E", 1), "PortalType": "Partner"})
    profiles = ["Marketing User", "Sales Profile", "Standard User", "System Administrator"]
    for i in range(N_USERS):
        m.users.append({"Id": sfid("005", i + 1), "Username": f"user{i + 1}@fake.example", "Email": f"user{i + 1}@fake.example",
                        "IsActive": i % 37 != 5, "UserType": "Standard",
                        "Profile": {"attributes": {"type": "Profile"}, "Name": profiles[i % 4], "UserLicense": _licence("Salesforce")},
                        "UserRoleId": sfid("00E", (i % 9) + 1) if i % 9 < 8 else None,
                        "LastModifiedDate": "2026-11-01T08:00:00.000+0000"})
    m.users.append({"Id": sfid("005", 999), "Username": "o'brien\\ops@fake.example", "Email": "obrien@fake.example",
                    "IsActive": True, "UserType": "Standard",
                    "Profile": {"attributes": {"type": "Profile"}, "Name": "Marketing User", "UserLicense": _licence("Salesforce")},
                    "UserRoleId": None, "LastModifiedDate": "2026-11-01T08:00:00.000+0000"})
    # Public groups nested 4 deep with a cycle (G4 contains G1), and role groups.
    for i in range(1, 5):
        m.groups.append({"Id": sfid("00G", i), "Name": f"Group {i}", "DeveloperName": f"Group_{i}", "Type": "Regular", "RelatedId": None})
    m.groups.append({"Id": sfid("00G", 20), "Name": None, "DeveloperName": "R3", "Type": "Role", "RelatedId": sfid("00E", 3)})
    m.groups.append({"Id": sfid("00G", 21), "Name": None, "DeveloperName": "RS6", "Type": "RoleAndSubordinates", "RelatedId": sfid("00E", 6)})
    m.members += [
        {"GroupId": sfid("00G", 1), "UserOrGroupId": sfid("00G", 2)},
        {"GroupId": sfid("00G", 2), "UserOrGroupId": sfid("00G", 3)},
        {"GroupId": sfid("00G", 3), "UserOrGroupId": sfid("00G", 4)},
        {"GroupId": sfid("00G", 4), "UserOrGroupId": sfid("00G", 1)},
        {"GroupId": sfid("00G", 4), "UserOrGroupId": sfid("005", 7)},
        {"GroupId": sfid("00G", 2), "UserOrGroupId": sfid("00G", 20)},
        {"GroupId": sfid("00G", 3), "UserOrGroupId": sfid("00G", 21)},
    ]
    m.tenants = [{"Id": BU_MANAGED, "PardotTenantName": "Fake Managed", "CreationStatus": "Created"},
                 {"Id": BU_LEGACY, "PardotTenantName": "Fake Legacy", "CreationStatus": "Updated"}]
    for bu in (BU_MANAGED, BU_LEGACY):
        rows = []
        for i in range(0, N_USERS, 3):
            u = m.users[i]
            rows.append({"id": 1000 + i, "email": u["Email"], "username": u["Username"], "role": "Marketing",
                         "roleName": "Marketing", "salesforceId": u["Id"], "isDeleted": i % 30 == 0,
                         "updatedAt": "2026-11-01T08:00:00-04:00", "updatedById": 1000 if i % 2 else None})
        rows.append({"id": 5000, "email": "user2@fake.example", "username": "old@fake.example", "role": "Sales",
                     "roleName": "Sales", "salesforceId": None, "isDeleted": False, "updatedAt": "2026-01-01T00:00:00-04:00"})
        m.ae_users[bu] = rows
    return m


def _licence(name: str) -> dict[str, Any]:
    return {"attributes": {"type": "UserLicense"}, "Name": name}


def add_user(m: Model, n: int, username: str, user_type: str, licence: str, profile: str = "Standard User") -> str:
    """One more user of a given kind (portal, Chatter, Identity, the integration user)."""
    uid = sfid("005", n)
    m.users.append({"Id": uid, "Username": username, "Email": username.replace("@", "+mail@"), "IsActive": True,
                    "UserType": user_type, "UserRoleId": None, "LastModifiedDate": "2026-11-01T08:00:00.000+0000",
                    "Profile": {"attributes": {"type": "Profile"}, "Name": profile, "UserLicense": _licence(licence)}})
    return uid


class FakeOrg:
    """The request handler. `fault(kind, where, times)` injects failures; `requests` logs everything."""

    def __init__(self, base_url: str, page_size: int = 100, ae_page_size: int = 40):
        self.base_url = base_url.rstrip("/")
        self.model = build_model()
        self.page_size = page_size
        self.ae_page_size = ae_page_size
        self.token = "00D5e!SESSIONTOKENv1"
        self.logins = 0
        self.requests: list[tuple[str, str]] = []  # (method, path?query)
        self.soql: list[str] = []
        self.faults: list[dict[str, Any]] = []
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.delay = 0.0
        self.token_file = None  # where a fake `sf org display` reads the current token
        self.organization_type = "Enterprise Edition"
        self.is_sandbox = False
        # The collecting user's effective permissions (UserPermissionAccess); without
        # ViewAllUsers, User Sharing hides the users in `hidden_users` from every User query.
        self.permissions = {"PermissionsViewAllUsers": True, "PermissionsViewRoles": True, "PermissionsViewSetup": True}
        self.hidden_users: set[str] = set()
        self.roles_without_permission = 0  # roles UserRole still returns without PermissionsViewRoles
        self.hosts: list[tuple[str, str]] = []  # (Host header, path) of every request
        self.login_page: str | None = None  # an HTML page answering logins (a proxy, a captive portal)
        self.served: dict[str, int] = {"UserRole": 0, "Group": 0}  # rows returned, per object
        self.refuse_portal_type = False  # an org that would not filter UserRole on PortalType
        # SOAP login() state: "enabled", "disabled" (orgs created from Winter '26) or
        # "permission" (enforced "Use Any API Auth", Summer '26); the fault texts are below.
        self.soap_login = "enabled"
        # Account Engagement: the one documented host this org's AE answers on (None: any); a
        # request on the other one gets 201. `ae_messages` overrides an error's message.
        self.ae_home: str | None = None
        self.ae_messages: dict[int, str] = {}
        self.ae_refused_fields: set[str] = set()
        self.ae_fields: dict[str, set[str]] = {}

    # -- fault injection ------------------------------------------------------------------
    def fault(self, kind: str, where: str = "", times: int = 1, after: int = 0) -> None:
        """Fail the next `times` requests whose path contains `where` (skipping `after` first)."""
        self.faults.append({"kind": kind, "where": where, "times": times, "after": after})

    def _take_fault(self, path: str) -> str | None:
        for f in self.faults:
            if f["times"] > 0 and f["where"] in path:
                if f["after"] > 0:
                    f["after"] -= 1
                    continue
                f["times"] -= 1
                return f["kind"]
        return None

    # -- dispatch -------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        full = request.full_path.rstrip("?")
        self.requests.append((request.method, full))
        self.hosts.append((request.host.split(":")[0], request.path))
        path = request.path
        fault = self._take_fault(full)
        if fault == "slow":
            time.sleep(self.delay or 2.0)
        elif fault in ("500", "503"):
            return Response("<html>Service Unavailable</html>", status=int(fault), content_type="text/html")
        elif fault == "badjson":
            return Response("{\"records\": [", status=200, content_type="application/json")
        elif fault == "expire":
            self.token = self.token[:-1] + str(int(self.token[-1]) + 1)  # every old token is now invalid
            if self.token_file is not None:
                self.token_file.write_text(self.token)
        if self.login_page is not None and path.startswith(("/services/Soap/u/", "/services/oauth2/")):
            return Response(self.login_page, status=200 if fault != "login-page-401" else 401, content_type="text/html")
        if path.startswith("/services/Soap/u/"):
            return self._soap_login(request)
        if path == "/services/oauth2/token":
            return self._oauth(request)
        if path.startswith("/api/v5/"):
            return self._ae(request, fault)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if fault == "limit":
            return _json([{"message": "ConcurrentPerOrgLongTxn Limit exceeded", "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403)
        if fault == "daily-limit":
            return _json([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403)
        if fault == "forbidden":
            return _json([{"message": "Insufficient privileges", "errorCode": "INSUFFICIENT_ACCESS"}], 403)
        if fault and fault.startswith("echo-"):  # an error that quotes the caller's token back
            return _json([{"message": f"Insufficient privileges for session {self.echo(fault)}",
                           "errorCode": "INSUFFICIENT_ACCESS"}], 403)
        m = re.match(rf"^/services/data/v{API}/(tooling/)?query/?(.*)$", path)
        if not m:
            return _json([{"message": "not found", "errorCode": "NOT_FOUND"}], 404)
        if m.group(2):
            return self._page(m.group(2), bool(m.group(1)))
        q = request.args.get("q", "")
        self.soql.append(q)
        try:
            rows = self._rows(q, tooling=bool(m.group(1)))
        except ValueError as exc:
            return _json([{"message": str(exc), "errorCode": "MALFORMED_QUERY"}], 400)
        cursor = f"01g{len(self.cursors):06d}"
        self.cursors[cursor] = rows
        return self._page(f"{cursor}-0", bool(m.group(1)))

    # -- Salesforce -----------------------------------------------------------------------
    def _soap_login(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        user = re.search(r"<n1:username>(.*?)</n1:username>", body)
        password = re.search(r"<n1:password>(.*?)</n1:password>", body)
        if not user or not password or password.group(1) != PASSWORD + TOKEN:
            return Response(_SOAP_FAULT, status=500, content_type="text/xml")
        if self.soap_login != "enabled":
            code, text = SOAP_LOGIN_FAULTS[self.soap_login]
            return Response(_LOGIN_FAULT.format(code=code, text=text), status=500, content_type="text/xml")
        self.logins += 1
        xml = _SOAP_OK.format(server=f"{self.base_url}/services/Soap/u/{API}/{ORG_ID}", session=self.token)
        return Response(xml, status=200, content_type="text/xml")

    def _oauth(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or not form.get("assertion"):
            return _json({"error": "invalid_grant", "error_description": "invalid assertion"}, 400)
        self.logins += 1
        return _json({"access_token": self.token, "instance_url": self.base_url, "token_type": "Bearer"}, 200)

    def _rows(self, soql: str, tooling: bool) -> list[dict[str, Any]]:
        obj = re.search(r"\bFROM\s+(\w+)", soql)
        if not obj:
            raise ValueError("no FROM")
        name = obj.group(1)
        where = re.search(r"\bWHERE\s+(.*?)(?:\s+ORDER BY .*)?$", soql)
        if tooling != (name == "PardotTenant"):
            raise ValueError(f"sObject type '{name}' is not supported here")
        if name == "Organization":
            return [{"attributes": {"type": "Organization"}, "Id": ORG_ID, "Name": "Fake Org", "IsSandbox": self.is_sandbox,
                     "OrganizationType": self.organization_type}]
        if name == "UserPermissionAccess":
            fields = re.findall(r"Permissions\w+", soql)
            unknown = [f for f in fields if f not in self.permissions]
            if unknown:
                raise ValueError(f"No such column '{unknown[0]}' on entity 'UserPermissionAccess'")
            return [{"attributes": {"type": "UserPermissionAccess"}, **{f: self.permissions[f] for f in fields}}]
        if name == "User":
            users = self.model.users
            if not self.permissions.get("PermissionsViewAllUsers"):
                users = [u for u in users if u["Id"] not in self.hidden_users]
            if where and "UserType = 'Standard'" in where.group(1):
                users = [u for u in users if u.get("UserType") == "Standard"]
            if where and "Username = " in where.group(1):
                lit = r"'((?:[^'\\]|\\.)*)'"
                m = re.fullmatch(rf"Username = {lit} OR Email = {lit}(?: OR Id = {lit})?", where.group(1))
                if not m:
                    raise ValueError(f"unexpected WHERE clause: {where.group(1)}")
                value = _unescape(m.group(1))
                users = [u for u in users if u["Username"] == value or u["Email"] == value
                         or (m.group(3) and u["Id"][:15] == _unescape(m.group(3))[:15])]
            elif where and "Username IN" in where.group(1):
                names = [_unescape(x) for x in re.findall(r"'((?:[^'\\]|\\.)*)'", where.group(1))]
                users = [u for u in users if u["Username"] in names]
            return [{"attributes": {"type": "User"}, **u} for u in users]
        if name == "Profile":
            names = sorted({u["Profile"]["Name"] for u in self.model.users} | {"Chatter Free User"})
            return [{"attributes": {"type": "Profile"}, "Name": n} for n in names]
        if name == "UserRole":
            # Without "View Roles and Role Hierarchy" the hierarchy is not listed, or (a variant)
            # only part of it.
            roles = self.model.roles if self.permissions.get("PermissionsViewRoles") else \
                self.model.roles[:self.roles_without_permission]
            rows = _where(roles, where.group(1) if where else "", self.refuse_portal_type)
            self.served["UserRole"] += len(rows)
            return [{"attributes": {"type": "UserRole"}, **r} for r in rows]
        if name == "Group":
            rows = _where(self.model.groups, where.group(1) if where else "")
            self.served["Group"] += len(rows)
            return [{"attributes": {"type": "Group"}, **g} for g in rows]
        if name == "GroupMember":
            if where and "GroupId IN" in where.group(1):
                wanted = set(re.findall(r"'(\w+)'", where.group(1)))
                return [{"attributes": {"type": "GroupMember"}, **x} for x in self.model.members if x["GroupId"] in wanted]
            regular = {g["Id"] for g in self.model.groups if g["Type"] == "Regular"}
            return [{"attributes": {"type": "GroupMember"}, **x} for x in self.model.members if x["GroupId"] in regular]
        if name == "PardotTenant":
            return [{"attributes": {"type": "PardotTenant"}, **t} for t in self.model.tenants]
        raise ValueError(f"sObject type '{name}' is not supported.")

    def _page(self, cursor_ref: str, tooling: bool) -> Response:
        cursor, _, start_s = cursor_ref.partition("-")
        rows = self.cursors.get(cursor)
        if rows is None:
            return _json([{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}], 400)
        start = int(start_s or 0)
        chunk = rows[start:start + self.page_size]
        done = start + self.page_size >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": chunk}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v{API}/{'tooling/' if tooling else ''}query/{cursor}-{start + self.page_size}"
        resp = _json(body, 200)
        resp.headers["Sforce-Limit-Info"] = f"api-usage={len(self.requests)}/15000"
        if self.limit_info_echo:  # a misbehaving proxy that copies the caller's token into the header
            resp.headers["Sforce-Limit-Info"] += f"; per-app-api-usage=1/100(appName={self.echo(self.limit_info_echo)})"
        return resp

    limit_info_echo: str | None = None

    def echo(self, how: str) -> str:
        """The current token as a careless server would quote it back."""
        kind = how.removeprefix("echo-")
        return {"plain": self.token, "url": quote(self.token, safe=""), "base64": base64.b64encode(self.token.encode()).decode(),
                "lower": self.token.lower(), "upper": self.token.upper()}[kind]

    # -- Account Engagement ---------------------------------------------------------------
    def _ae(self, request: Request, fault: str | None) -> Response:
        if fault and fault.startswith("echo-"):
            return _json({"code": 49, "message": f"Access denied for token {self.echo(fault)}"}, 403)
        if fault and re.fullmatch(r"ae\d+(@\d+)?", fault):  # "ae183", or "ae183@400" for another HTTP status
            code_s, _, status = fault[2:].partition("@")
            code = int(code_s)
            message = self.ae_messages.get(code, AE_MESSAGES[code])
            resp = _json({"code": code, "message": message}, int(status) if status else AE_STATUS.get(code, 400))
            if code == 202:
                resp.headers["Retry-After"] = "0"
            return resp
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            # An expired or revoked token (seen in the wild: "...: Inactive token").
            return _json({"code": 184, "message": "access_token is invalid, unknown, or malformed: Inactive token"}, 401)
        bu = request.headers.get("Pardot-Business-Unit-Id", "")
        rows = self.model.ae_users.get(bu)
        host = request.host.split(":")[0]
        if self.ae_home and host in AE_HOSTS and host != self.ae_home:
            rows = None  # this org's business units live on the other host
        if rows is None:
            return _json({"code": 201, "message": "Invalid business unit ID"}, 400)
        if "nextPageToken" in request.args:
            start = int(request.args["nextPageToken"].split(":")[1])
        else:
            if request.args.get("deleted") != "all" or "fields" not in request.args:
                return _json({"code": 400, "message": "fields is required; deleted=all expected"}, 400)
            refused = sorted(set(request.args["fields"].split(",")) & self.ae_refused_fields)
            if refused:  # a stand-in text: the API's answer to an unknown field is not documented
                return _json({"code": 400, "message": f"Invalid value specified for fields: {refused[0]}"}, 400)
            start = 0
        if "fields" in request.args:
            self.ae_fields[bu] = set(request.args["fields"].split(","))
        # Only the fields asked for come back (the paging token keeps the first page's fields).
        chunk = [{k: v for k, v in row.items() if k in self.ae_fields.get(bu, set(row))}
                 for row in rows[start:start + self.ae_page_size]]
        body: dict[str, Any] = {"values": chunk}
        if start + self.ae_page_size < len(rows):
            token = f"{bu}:{start + self.ae_page_size}"
            body["nextPageToken"] = token
            body["nextPageUrl"] = f"https://pi.pardot.com/api/v5/objects/users?nextPageToken={token}"
        return _json(body, 200)


AE_HOSTS = ("pi.pardot.com", "pi.demo.pardot.com")
# Account Engagement API v5 error codes and their HTTP statuses (error-codes.html).
AE_MESSAGES = {46: "Insufficient permissions", 49: "Access denied", 66: "Too many concurrent requests",
               122: "Daily API rate limit met", 183: "An internal error occurred; try again",
               184: "Invalid access token or user not synced", 201: "Invalid business unit ID",
               202: "Minute API rate limit met", 210: "The page token has expired", 211: "The page token is invalid",
               214: "Request timed out"}
AE_STATUS = {46: 403, 49: 403, 66: 429, 122: 429, 183: 500, 184: 401, 202: 429, 214: 504}


def _where(rows: list[dict[str, Any]], clause: str, refuse_portal_type: bool = False) -> list[dict[str, Any]]:
    """The WHERE clauses the collector sends for UserRole and Group, as Salesforce reads them:
    `PortalType = 'None'`, `Type IN (...)`, `Id IN (...)` (15- or 18-character ids)."""
    if not clause:
        return list(rows)
    if m := re.fullmatch(r"PortalType = '(\w+)'", clause):
        if refuse_portal_type:
            raise ValueError("field 'PortalType' can not be filtered in a query call")
        return [r for r in rows if (r.get("PortalType") or "None") == m.group(1)]
    if m := re.fullmatch(r"Type IN \((.*)\)", clause):
        kinds = set(re.findall(r"'(\w+)'", m.group(1)))
        return [r for r in rows if r.get("Type") in kinds]
    if m := re.fullmatch(r"Id IN \((.*)\)", clause):
        ids = {x[:15] for x in re.findall(r"'(\w+)'", m.group(1))}
        if len(ids) > 300:
            raise ValueError("query too long")  # a REST query is a GET: its URL has a limit
        return [r for r in rows if r["Id"][:15] in ids]
    raise ValueError(f"unexpected WHERE clause: {clause}")


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), literal)


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


_SOAP_OK = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">
<soapenv:Body><loginResponse><result><metadataServerUrl>{server}</metadataServerUrl><passwordExpired>false</passwordExpired>
<sandbox>false</sandbox><serverUrl>{server}</serverUrl><sessionId>{session}</sessionId><userId>005000000000001AAA</userId>
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""

# The faults of a login() that is off. INVALID_OPERATION's text is the one reported from real
# orgs (OpenFn/adaptors#1715); INSUFFICIENT_ACCESS for a user without "Use Any API Auth" is
# documented (login() reference), its text is not: this one is a stand-in.
SOAP_LOGIN_FAULTS = {
    "disabled": ("INVALID_OPERATION", "SOAP API login() is disabled by default in this org. Contact the org "
                                      "administrator to enable SOAP API login()."),
    "permission": ("INSUFFICIENT_ACCESS", "To use SOAP API login(), the user needs the Use Any API Auth permission."),
}

_LOGIN_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com">
<soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {text}</faultstring>
<detail><sf:LoginFault><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{text}</sf:exceptionMessage></sf:LoginFault></detail>
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

_SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com">
<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>
<detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""
