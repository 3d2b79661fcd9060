// jreview token add/list/revoke: the access tokens of `jreview serve`
// (docs/serve.md#identity). The secret is printed once, on stdout.
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct TokenAddOpts {
  EngineFlags e;
  std::string actor, name, expires, format = "text";
};

struct TokenListOpts {
  EngineFlags e;
  std::string format = "table";
};

struct TokenRevokeOpts {
  EngineFlags e;
  std::string id, format = "text";
};

void add_token_command(CLI::App& app, Runner& run) {
  auto* token = app.add_subcommand("token", "Access tokens of jreview serve: add, list, revoke");
  token->require_subcommand(1);

  auto a = std::make_shared<TokenAddOpts>();
  auto* add = token->add_subcommand(
      "add", "Create a token bound to one actor; prints its secret once (the database keeps only its SHA-256)");
  add->add_option("--actor", a->actor,
                  "who it acts as: DEPARTMENT, DEPARTMENT/STAFF, applicant:NAME, steward:NAME, supervisor[:NAME], "
                  "admin[:NAME]")
      ->required();
  add->add_option("--name", a->name, "what it is for, in words");
  add->add_option("--expires", a->expires, "last day it is valid, YYYY-MM-DD (default: never)");
  add->add_option("--format", a->format, "text (the secret alone on stdout) or json")
      ->check(CLI::IsMember({"text", "json"}));
  add_engine_flags(add, a->e);
  with_engine(add, run, a, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::NewToken t = engine.add_token(o.actor, o.name, o.expires);
    if (o.format == "json") {
      std::cout << "{\"secret\": \"" << t.secret << "\", \"token\": " << jointreview::access_token_json(t.token, -1)
                << "}\n";
    } else {
      std::cout << t.secret << "\n";
      std::cerr << "jreview: token " << t.token.id << " for " << t.token.actor << " (" << to_string(t.token.kind)
                << (t.token.expires.empty() ? "" : ", valid through " + t.token.expires)
                << "): the secret above is shown once; send it as 'Authorization: Bearer SECRET'\n";
    }
    return 0;
  });

  auto l = std::make_shared<TokenListOpts>();
  auto* list = token->add_subcommand("list", "Every token (never their secrets)");
  list->add_option("--format", l->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(list, l->e);
  add_read_only_flag(list, l->e);
  with_engine(list, run, l, [](jointreview::Engine& engine, const auto& o) {
    const auto all = engine.tokens();
    if (o.format == "json") {
      std::cout << jointreview::access_tokens_json(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : all) {
      std::string state = t.active ? "active" : !t.revoked.empty() ? "revoked " + t.revoked.substr(0, 10) : "expired";
      rows.push_back({t.id, t.actor, to_string(t.kind), t.name, t.created.substr(0, 16),
                      t.expires.empty() ? "-" : t.expires, state});
    }
    std::cout << jointreview::render_table({"id", "actor", "kind", "name", "created", "expires", "state"}, rows,
                                           {false, false, false, false, false, false, false});
    if (all.empty()) std::cout << "(no tokens: jreview token add --actor ACTOR)\n";
    return 0;
  });

  auto r = std::make_shared<TokenRevokeOpts>();
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id, for good");
  revoke->add_option("id", r->id, "the token's id (tk_...), as token list shows it")->required();
  revoke->add_option("--format", r->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_engine_flags(revoke, r->e);
  with_engine(revoke, run, r, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::AccessToken t = engine.revoke_token(o.id);
    if (o.format == "json")
      std::cout << jointreview::access_token_json(t) << "\n";
    else
      std::cout << "revoked " << t.id << " (" << t.actor << ") at " << t.revoked << "\n";
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(70, add_token_command);

}  // namespace jreview
