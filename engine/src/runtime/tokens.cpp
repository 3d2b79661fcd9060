// Access tokens: who a caller of `jreview serve` is. A token is bound to one
// actor; the database keeps the SHA-256 of its secret, never the secret.
// Tokens are written by the writer thread in a transaction of their own and
// read from memory under tokens_mutex_, so that authenticate() answers from
// any thread without waiting for the event loop.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "runtime/engine_impl.h"
#include "runtime/working_time.h"

namespace jointreview {

const char* to_string(ActorKind k) {
  switch (k) {
    case ActorKind::department: return "department";
    case ActorKind::staff: return "staff";
    case ActorKind::applicant: return "applicant";
    case ActorKind::steward: return "steward";
    case ActorKind::supervisor: return "supervisor";
    case ActorKind::admin: return "admin";
  }
  return "?";
}

namespace {

[[noreturn]] void bad_actor(const std::string& actor, const std::string& why) {
  throw Error(Error::Code::invalid_argument,
              "actor '" + actor + "': " + why +
                  "; an actor is a department (住建局), DEPARTMENT/STAFF (住建局/张三), applicant:NAME, "
                  "steward:NAME, supervisor[:NAME] or admin[:NAME]",
              "bad_actor");
}

// A name part: not empty, no control characters, no spaces at its ends.
void check_part(const std::string& actor, const std::string& part, const char* what) {
  if (part.empty()) bad_actor(actor, std::string("the ") + what + " is empty");
  for (unsigned char c : part)
    if (c < 0x20 || c == 0x7f) bad_actor(actor, std::string("the ") + what + " holds a control character");
  if (part.front() == ' ' || part.back() == ' ')
    bad_actor(actor, std::string("the ") + what + " begins or ends with a space");
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::string runtime::random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw Error(Error::Code::storage, "the system's random source failed (OpenSSL RAND_bytes)", "random");
  return hex(buf.data(), buf.size());
}

namespace {

std::string sha256_hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr) != 1)
    throw Error(Error::Code::storage, "SHA-256 failed (OpenSSL)", "digest");
  return hex(md, n);
}

nlohmann::ordered_json token_object(const AccessToken& t) {
  auto or_null = [](const std::string& v) { return v.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v); };
  return {{"id", t.id},           {"actor", t.actor},           {"kind", to_string(t.kind)},
          {"name", t.name},       {"created", t.created},       {"expires", or_null(t.expires)},
          {"revoked", or_null(t.revoked)}, {"active", t.active}};
}

}  // namespace

ActorKind actor_kind(const std::string& actor) {
  if (actor.empty()) bad_actor(actor, "no actor given");
  auto prefixed = [&](const char* prefix, bool name_required, ActorKind kind) -> std::optional<ActorKind> {
    const std::string p = prefix;
    if (actor == p) {
      if (name_required) bad_actor(actor, "name whom it stands for: " + p + ":NAME");
      return kind;
    }
    if (actor.rfind(p + ":", 0) != 0) return std::nullopt;
    check_part(actor, actor.substr(p.size() + 1), "name after the colon");
    return kind;
  };
  if (auto k = prefixed("applicant", true, ActorKind::applicant)) return *k;
  if (auto k = prefixed("steward", true, ActorKind::steward)) return *k;
  if (auto k = prefixed("supervisor", false, ActorKind::supervisor)) return *k;
  if (auto k = prefixed("admin", false, ActorKind::admin)) return *k;
  if (actor == "system") bad_actor(actor, "'system' is the engine's own actor (timers), not a caller's");
  if (actor.find(':') != std::string::npos)
    bad_actor(actor, "a prefix before ':' must be applicant, steward, supervisor or admin");
  const auto slash = actor.find('/');
  if (slash == std::string::npos) {
    check_part(actor, actor, "department");
    return ActorKind::department;
  }
  check_part(actor, actor.substr(0, slash), "department");
  const std::string staff = actor.substr(slash + 1);
  if (staff.find('/') != std::string::npos) bad_actor(actor, "a staff id holds no '/'");
  check_part(actor, staff, "staff id");
  return ActorKind::staff;
}

std::string access_token_json(const AccessToken& t, int indent) { return token_object(t).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string access_tokens_json(const std::vector<AccessToken>& all, int indent) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& t : all) a.push_back(token_object(t));
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace runtime {

void EngineImpl::load_tokens() {
  std::unique_lock lk(tokens_mutex_);
  tokens_ = store_->tokens();
  token_by_hash_.clear();
  for (std::size_t i = 0; i < tokens_.size(); ++i) token_by_hash_[tokens_[i].hash] = i;
  webhooks_ = store_->webhooks();
}

AccessToken EngineImpl::token_of(const storage::TokenRecord& r, const std::string& today) const {
  AccessToken t;
  t.id = r.id;
  t.actor = r.actor;
  t.name = r.name;
  t.created = r.created;
  t.expires = r.expires;
  t.revoked = r.revoked;
  try {
    t.kind = actor_kind(r.actor);
  } catch (const Error&) {
    t.kind = ActorKind::supervisor;  // not written by this build: the least it could be
  }
  // Dates as YYYY-MM-DD compare as text.
  t.active = r.revoked.empty() && (r.expires.empty() || today <= r.expires);
  return t;
}

NewToken EngineImpl::add_token(const std::string& actor, const std::string& name, const std::string& expires) {
  refuse_if_read_only("add_token");
  const ActorKind kind = actor_kind(actor);
  (void)kind;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw Error(Error::Code::invalid_argument, "a token's name holds no control characters", "bad_value");
  const std::string day = today();
  if (!expires.empty()) {
    const auto d = Date::try_parse(expires);
    if (!d || d->str() != expires)
      throw Error(Error::Code::invalid_argument, "expires '" + expires + "' is not a date YYYY-MM-DD", "bad_value");
    if (expires < day)
      throw Error(Error::Code::invalid_argument, "expires " + expires + " is before today (" + day + ")",
                  "bad_value");
  }
  NewToken out;
  out.secret = "jrt_" + random_hex(24);
  storage::TokenRecord rec;
  rec.actor = actor;
  rec.name = name;
  rec.hash = sha256_hex(out.secret);
  rec.created = format_local(clock_->now(), opt_.utc_offset_minutes);
  rec.expires = expires;
  {
    // One writer of tokens at a time, so that an id is not given twice.
    std::unique_lock lk(tokens_mutex_);
    do {
      rec.id = "tk_" + random_hex(6);
    } while (std::any_of(tokens_.begin(), tokens_.end(), [&](const auto& t) { return t.id == rec.id; }));
    on_writer([&] {
      store_->put_token(rec);
      return 0;
    });
    tokens_.push_back(rec);
    token_by_hash_[rec.hash] = tokens_.size() - 1;
    out.token = token_of(rec, day);
  }
  return out;
}

std::vector<AccessToken> EngineImpl::tokens() {
  const std::string day = today();
  std::shared_lock lk(tokens_mutex_);
  std::vector<AccessToken> out;
  out.reserve(tokens_.size());
  for (const auto& r : tokens_) out.push_back(token_of(r, day));
  return out;
}

AccessToken EngineImpl::revoke_token(const std::string& id) {
  refuse_if_read_only("revoke_token");
  const std::string day = today();
  std::unique_lock lk(tokens_mutex_);
  auto it = std::find_if(tokens_.begin(), tokens_.end(), [&](const auto& t) { return t.id == id; });
  if (it == tokens_.end())
    throw Error(Error::Code::not_found, "no token '" + id + "' (jreview token list shows the ids)", "unknown_token");
  if (it->revoked.empty()) {
    storage::TokenRecord rec = *it;
    rec.revoked = format_local(clock_->now(), opt_.utc_offset_minutes);
    on_writer([&] {
      store_->put_token(rec);
      return 0;
    });
    *it = rec;
  }
  return token_of(*it, day);
}

std::optional<AccessToken> EngineImpl::authenticate(const std::string& secret) {
  // A secret of another form is not hashed at all: nothing to find.
  if (secret.size() != 52 || secret.rfind("jrt_", 0) != 0) return std::nullopt;
  std::string hash;
  try {
    hash = sha256_hex(secret);
  } catch (const Error&) {
    return std::nullopt;
  }
  const std::string day = today();
  std::shared_lock lk(tokens_mutex_);
  auto it = token_by_hash_.find(hash);
  if (it == token_by_hash_.end()) return std::nullopt;
  AccessToken t = token_of(tokens_[it->second], day);
  if (!t.active) return std::nullopt;
  return t;
}

}  // namespace runtime
}  // namespace jointreview
