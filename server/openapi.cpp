#include "openapi.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "callmem/version.h"
#include "json/rapidjson.hpp"
#include "schemas.hpp"

namespace callmem::server {
namespace {

using rapidjson::Document;
using rapidjson::Value;

struct Param {
  const char* name;
  const char* in;  // "path" | "query" | "form" (a field of an application/x-www-form-urlencoded body)
  const char* type;
  const char* description;
};

struct Operation {
  const char* method;  // lowercase, as OpenAPI keys them
  const char* path;
  const char* id;
  const char* summary;
  const char* request;   // schema file of the body, or nullptr
  const char* response;  // schema file of the 200 answer, or nullptr for a plain one
  std::vector<Param> params;
  bool authenticated = true;
  bool billable = false;
  bool console =
      false;  // the web console's (docs/console.md): its session cookie, and a CSRF token on changes
};

const Param kRef{"ref", "path", "string",
                 "The customer's customer_ref (an alias of a merged customer works too)."};

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"post",
       "/v1/calls/start",
       "startCall",
       "A call starts: who is probably calling, how sure callmem is, and what is open for them.",
       "call-start-request.json",
       "call-start-response.json",
       {},
       true,
       true},
      {"post",
       "/v1/calls/end",
       "endCall",
       "A call ends: save its intents and variables.",
       "call-end-request.json",
       "call-end-response.json",
       {},
       true,
       true},
      {"get",
       "/v1/customers/{ref}",
       "getCustomer",
       "A customer: identities, intents, variables and a page of calls, newest first.",
       nullptr,
       "customer-view.json",
       {kRef,
        {"history_limit", "query", "integer", "Calls per page, 1 to 100 (default 20)."},
        {"cursor", "query", "string", "The next_cursor of the previous page."}}},
      {"post",
       "/v1/customers/lookup",
       "lookupCustomer",
       "A customer found by identity_hints (or customer_ref).",
       "customer-get-request.json",
       "customer-view.json",
       {}},
      {"get",
       "/v1/customers/{ref}/export",
       "exportCustomer",
       "Everything stored about a customer (subject access).",
       nullptr,
       "customer-view.json",
       {kRef}},
      {"delete",
       "/v1/customers/{ref}",
       "forgetCustomer",
       "Erase a customer (GDPR): identities, intents, variables, calls; answers what was removed.",
       nullptr,
       "forget-receipt.json",
       {kRef}},
      {"post",
       "/v1/customers/forget",
       "forgetCustomerByHints",
       "Erase the customer that identity_hints (a phone number, an external id) or customer_ref select.",
       "customer-selector.json",
       "forget-receipt.json",
       {}},
      {"post",
       "/v1/identity/feedback",
       "identityFeedback",
       "What the host learned of a call's caller: confirmed, rejected, or corrected to another customer.",
       "identity-feedback-request.json",
       "identity-feedback-response.json",
       {}},
      {"post",
       "/v1/identity/unmerge",
       "unmerge",
       "Undo a merge.",
       "identity-unmerge-request.json",
       "identity-unmerge-response.json",
       {}},
      {"get",
       "/v1/usage",
       "usage",
       "The credit balance, and counts and credits by day and operation.",
       nullptr,
       "usage-report.json",
       {{"from", "query", "string", "First moment counted, ISO-8601 (default: the beginning)."},
        {"to", "query", "string", "Last moment counted, ISO-8601 (default: now)."}}},
      {"get",
       "/v1/settings",
       "getSettings",
       "The tenant's settings (read; writes nothing).",
       nullptr,
       "tenant-settings.json",
       {}},
      {"patch",
       "/v1/settings",
       "patchSettings",
       "Change any subset of the tenant's settings; answers all of them.",
       "tenant-settings-patch.json",
       "tenant-settings.json",
       {}},
      {"get", "/healthz", "health", "The process lives.", nullptr, nullptr, {}, false},
      {"get", "/readyz", "ready", "The store answers.", nullptr, nullptr, {}, false},
      {"get", "/metrics", "metrics", "Prometheus metrics (text format 0.0.4).", nullptr, nullptr, {}, false},
      {"get", "/openapi.json", "openapi", "This description.", nullptr, nullptr, {}, false},
      // The web console (docs/console.md, server/console.cpp).
      {"post",
       "/console/api/session",
       "consoleSignIn",
       "Sign in to the web console with a tenant's API key: sets the session cookie, answers the tenant, "
       "key_id, csrf_token and expires_at.",
       nullptr,
       nullptr,
       {{"key", "form", "string", "An API key of the tenant (cmk_...)."}},
       false,
       false,
       true},
      {"get",
       "/console/api/session",
       "consoleSession",
       "The session: tenant, key_id, csrf_token, expires_at.",
       nullptr,
       nullptr,
       {},
       false,
       false,
       true},
      {"delete",
       "/console/api/session",
       "consoleSignOut",
       "Sign out: the session ends.",
       nullptr,
       nullptr,
       {},
       false,
       false,
       true},
      {"get",
       "/console/api/overview",
       "consoleOverview",
       "Per day of the period: calls started and ended, recommendations (reuse, confirm, ignore), credits "
       "spent; "
       "their totals, the credit balance, and this node's start and end latency (p50, p99) and store errors.",
       nullptr,
       nullptr,
       {{"from", "query", "string", "First day, YYYY-MM-DD (UTC; default: 29 days before to)."},
        {"to", "query", "string", "Last day, YYYY-MM-DD (default: today). A period is at most 90 days."}},
       false,
       false,
       true},
      {"get",
       "/console/api/identity",
       "consoleIdentity",
       "Calibration from the hosts' feedback: confidence bins against the share confirmed, the expected "
       "calibration error and its sample size, feedback and merge counts, ECE per week and a drift warning.",
       nullptr,
       nullptr,
       {{"from", "query", "string", "First day, YYYY-MM-DD (UTC; default: 29 days before to)."},
        {"to", "query", "string", "Last day, YYYY-MM-DD (default: today). A period is at most 90 days."},
        {"threshold", "query", "number", "The ECE past which the last week drifts (default 0.1)."}},
       false,
       false,
       true},
      {"post",
       "/console/api/customers/lookup",
       "consoleLookup",
       "A customer by number, external id or ref: the customer-view of GET /v1/customers/{ref}.",
       nullptr,
       "customer-view.json",
       {{"by", "form", "string", "number | external_id | ref"},
        {"value", "form", "string", "The number, the external id, or the customer_ref."},
        {"id_key", "form", "string", "With by=external_id: the id's name (e.g. crm_id)."}},
       false,
       false,
       true},
      {"post",
       "/console/api/customers/forget",
       "consoleForget",
       "Erase a customer (as DELETE /v1/customers/{ref}): the receipt.",
       nullptr,
       "forget-receipt.json",
       {{"customer_ref", "form", "string", "The customer to erase."}},
       false,
       false,
       true},
      {"get",
       "/console/api/keys",
       "consoleKeys",
       "The tenant's API keys (key_id, name, created_at, revoked_at).",
       nullptr,
       nullptr,
       {},
       false,
       false,
       true},
      {"post",
       "/console/api/keys",
       "consoleCreateKey",
       "Make an API key for the tenant: the key, shown once, and its key_id.",
       nullptr,
       nullptr,
       {{"name", "form", "string", "What the key is for."}},
       false,
       false,
       true},
      {"delete",
       "/console/api/keys/{key_id}",
       "consoleRevokeKey",
       "Revoke one of the tenant's keys.",
       nullptr,
       nullptr,
       {{"key_id", "path", "string", "The key's id (key_...)."}},
       false,
       false,
       true},
  };
  return ops;
}

std::string_view stem(std::string_view file) { return file.substr(0, file.rfind('.')); }

class Builder {
 public:
  Builder() : a_(doc_.GetAllocator()) { doc_.SetObject(); }

  Value str(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a_); }

  Value ref(std::string_view file) {
    Value v(rapidjson::kObjectType);
    v.AddMember("$ref", str("#/components/schemas/" + std::string(stem(file))), a_);
    return v;
  }

  Value json_content(Value schema) {
    Value media(rapidjson::kObjectType);
    media.AddMember("schema", schema, a_);
    Value content(rapidjson::kObjectType);
    content.AddMember("application/json", media, a_);
    return content;
  }

  Value response(const char* description, Value content) {
    Value r(rapidjson::kObjectType);
    r.AddMember("description", str(description), a_);
    if (!content.IsNull()) r.AddMember("content", content, a_);
    return r;
  }

  Value error(const char* description) { return response(description, json_content(ref("error.json"))); }

  Value operation(const Operation& op) {
    Value o(rapidjson::kObjectType);
    o.AddMember("operationId", str(op.id), a_);
    o.AddMember("summary", str(op.summary), a_);
    Value form(rapidjson::kObjectType);
    for (const Param& p : op.params) {
      if (std::string_view(p.in) != "form") continue;
      Value v(rapidjson::kObjectType);
      v.AddMember("type", str(p.type), a_);
      v.AddMember("description", str(p.description), a_);
      form.AddMember(str(p.name), v, a_);
    }
    if (form.MemberCount() > 0) {
      Value schema(rapidjson::kObjectType);
      schema.AddMember("type", "object", a_);
      schema.AddMember("properties", form, a_);
      Value media(rapidjson::kObjectType);
      media.AddMember("schema", schema, a_);
      Value content(rapidjson::kObjectType);
      content.AddMember("application/x-www-form-urlencoded", media, a_);
      Value body(rapidjson::kObjectType);
      body.AddMember("required", true, a_);
      body.AddMember("content", content, a_);
      o.AddMember("requestBody", body, a_);
    }
    if (std::any_of(op.params.begin(), op.params.end(),
                    [](const Param& p) { return std::string_view(p.in) != "form"; })) {
      Value params(rapidjson::kArrayType);
      for (const Param& p : op.params) {
        if (std::string_view(p.in) == "form") continue;
        Value v(rapidjson::kObjectType);
        v.AddMember("name", str(p.name), a_);
        v.AddMember("in", str(p.in), a_);
        v.AddMember("required", std::string_view(p.in) == "path", a_);
        v.AddMember("description", str(p.description), a_);
        Value schema(rapidjson::kObjectType);
        schema.AddMember("type", str(p.type), a_);
        v.AddMember("schema", schema, a_);
        params.PushBack(v, a_);
      }
      o.AddMember("parameters", params, a_);
    }
    if (op.request) {
      Value body(rapidjson::kObjectType);
      body.AddMember("required", true, a_);
      body.AddMember("content", json_content(ref(op.request)), a_);
      o.AddMember("requestBody", body, a_);
    }
    Value responses(rapidjson::kObjectType);
    if (op.response) {
      responses.AddMember("200", response("OK", json_content(ref(op.response))), a_);
    } else {
      responses.AddMember("200", response("OK", Value()), a_);
    }
    if (op.console) {
      responses.AddMember(
          "400", error("A field or the period is invalid, or a change's fields are in the URL."), a_);
      responses.AddMember("401", error("Not signed in, the session ended, or its key was revoked."), a_);
      responses.AddMember("403",
                          error("A change without the session's X-CSRF-Token, or from another origin."), a_);
      responses.AddMember("404", error("Unknown customer or key."), a_);
      Value security(rapidjson::kArrayType);
      if (std::string_view(op.path) != "/console/api/session" || std::string_view(op.method) != "post") {
        Value session(rapidjson::kObjectType);
        session.AddMember("consoleSession", Value(rapidjson::kArrayType), a_);
        security.PushBack(session, a_);
      }
      o.AddMember("security", security, a_);
    } else if (op.authenticated) {
      responses.AddMember("400", error("Invalid request: details.issues name each field and its problem."),
                          a_);
      responses.AddMember(
          "401", error("Missing or malformed Authorization header, or an unknown or revoked key."), a_);
      if (op.billable)
        responses.AddMember("402", error("Billing is on and the tenant has too few credits."), a_);
      responses.AddMember("404", error("Unknown customer, call or merge."), a_);
      responses.AddMember("409", error("The call_id (or feedback) was used with another request."), a_);
      responses.AddMember("413", error("The request body is larger than 1 MiB."), a_);
      responses.AddMember("415", error("The request body is not application/json."), a_);
      responses.AddMember("429", error("The tenant is over its requests per minute; see Retry-After."), a_);
      responses.AddMember("500", error("The store failed; nothing partial was written."), a_);
      responses.AddMember("503", error("The store could not take the write in time; retry."), a_);
      Value security(rapidjson::kArrayType);
      Value bearer(rapidjson::kObjectType);
      bearer.AddMember("apiKey", Value(rapidjson::kArrayType), a_);
      security.PushBack(bearer, a_);
      o.AddMember("security", security, a_);
    } else {
      Value none(rapidjson::kArrayType);
      o.AddMember("security", none, a_);
    }
    o.AddMember("responses", responses, a_);
    return o;
  }

  std::string build() {
    doc_.AddMember("openapi", "3.1.0", a_);
    Value info(rapidjson::kObjectType);
    info.AddMember("title", "callmem Call Memory API", a_);
    info.AddMember("version", CALLMEM_VERSION_STRING, a_);
    info.AddMember("description",
                   "Call memory for contact centers, self-hosted: the hosted Call Memory REST API "
                   "(POST /v1/calls/start, /v1/calls/end) and callmem's additions. Every /v1 route takes "
                   "Authorization: Bearer <api key>; the key's tenant is the request's.",
                   a_);
    doc_.AddMember("info", info, a_);
    doc_.AddMember("jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema", a_);

    Value paths(rapidjson::kObjectType);
    for (const Operation& op : operations()) {
      if (!paths.HasMember(op.path)) paths.AddMember(str(op.path), Value(rapidjson::kObjectType), a_);
      paths[op.path].AddMember(str(op.method), operation(op), a_);
    }
    doc_.AddMember("paths", paths, a_);

    Value components(rapidjson::kObjectType);
    Value schemas(rapidjson::kObjectType);
    for (const Schema& s : kSchemas) {
      Document parsed(&a_);
      parsed.Parse(s.text);
      if (parsed.HasParseError())
        throw std::logic_error(std::string("docs/schema/") + s.file + " is not JSON");
      Value v;
      v.CopyFrom(parsed, a_);
      schemas.AddMember(str(stem(s.file)), v, a_);
    }
    components.AddMember("schemas", schemas, a_);
    Value schemes(rapidjson::kObjectType);
    Value api_key(rapidjson::kObjectType);
    api_key.AddMember("type", "http", a_);
    api_key.AddMember("scheme", "bearer", a_);
    api_key.AddMember("description", "A key from `callmem keys create` (cmk_...).", a_);
    schemes.AddMember("apiKey", api_key, a_);
    Value session(rapidjson::kObjectType);
    session.AddMember("type", "apiKey", a_);
    session.AddMember("in", "cookie", a_);
    session.AddMember("name", "callmem_console", a_);
    session.AddMember("description",
                      "The web console's session (POST /console/api/session); every change also sends its "
                      "csrf_token as X-CSRF-Token.",
                      a_);
    schemes.AddMember("consoleSession", session, a_);
    components.AddMember("securitySchemes", schemes, a_);
    doc_.AddMember("components", components, a_);

    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc_.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
  }

 private:
  Document doc_;
  Document::AllocatorType& a_;
};

}  // namespace

const std::string& openapi_json() {
  static const std::string text = Builder().build();
  return text;
}

}  // namespace callmem::server
