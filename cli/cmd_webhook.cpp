// jreview webhook add/list/remove: where jreview serve POSTs events
// (docs/serve.md#webhooks).
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct WebhookAddOpts {
  EngineFlags e;
  std::string url, kinds, secret, format = "text";
  std::int64_t from_seq = -1;
};

struct WebhookListOpts {
  EngineFlags e;
  std::string format = "table";
};

struct WebhookRemoveOpts {
  EngineFlags e;
  std::string id;
};

void add_webhook_command(CLI::App& app, Runner& run) {
  auto* hook = app.add_subcommand("webhook", "Webhooks jreview serve delivers: add, list, remove");
  hook->require_subcommand(1);

  auto a = std::make_shared<WebhookAddOpts>();
  auto* add = hook->add_subcommand("add", "POST every event of these kinds to URL, signed (HMAC-SHA256), in order");
  add->add_option("url", a->url, "http://HOST[:PORT]/PATH")->required();
  add->add_option("--kinds", a->kinds,
                  "event kinds, comma-separated: notice,warning,overdue,action,refused,... (default: every kind)");
  add->add_option("--secret", a->secret, "the signing key (default: a new random one, printed)");
  add->add_option("--from-seq", a->from_seq, "deliver the events after this seq (default: only events from now on)")
      ->check(CLI::NonNegativeNumber);
  add->add_option("--format", a->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_engine_flags(add, a->e);
  with_engine(add, run, a, [](jointreview::Engine& engine, const auto& o) {
    std::vector<std::string> kinds;
    std::size_t from = 0;
    while (!o.kinds.empty() && from <= o.kinds.size()) {
      const auto at = o.kinds.find(',', from);
      kinds.push_back(o.kinds.substr(from, at == std::string::npos ? std::string::npos : at - from));
      if (at == std::string::npos) break;
      from = at + 1;
    }
    const jointreview::Webhook h = engine.add_webhook(o.url, kinds, o.secret, o.from_seq);
    if (o.format == "json") {
      std::cout << jointreview::webhook_json(h, true) << "\n";
      return 0;
    }
    std::cout << "added " << h.id << ": " << h.url << " gets "
              << (h.kinds.empty() ? std::string("every event") : "events of kind " + o.kinds) << " after seq "
              << h.delivered_seq << "\nsecret: " << h.secret
              << "\n(each POST carries X-JReview-Signature: sha256=HMAC-SHA256(secret, body), hex)\n";
    return 0;
  });

  auto l = std::make_shared<WebhookListOpts>();
  auto* list = hook->add_subcommand("list", "Every webhook, its last delivered seq and its failures");
  list->add_option("--format", l->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(list, l->e);
  add_read_only_flag(list, l->e);
  with_engine(list, run, l, [](jointreview::Engine& engine, const auto& o) {
    const auto all = engine.webhooks();
    if (o.format == "json") {
      std::cout << jointreview::webhooks_json(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& h : all) {
      std::string kinds;
      for (const auto& k : h.kinds) kinds += (kinds.empty() ? "" : ",") + k;
      rows.push_back({h.id, h.url, kinds.empty() ? "(all)" : kinds, std::to_string(h.delivered_seq),
                      std::to_string(h.failures), h.last_error.empty() ? "-" : h.last_error,
                      h.removed.empty() ? "active" : "removed " + h.removed.substr(0, 10)});
    }
    std::cout << jointreview::render_table({"id", "url", "kinds", "delivered", "failures", "last error", "state"},
                                           rows, {false, false, false, true, true, false, false});
    if (all.empty()) std::cout << "(no webhooks: jreview webhook add URL --kinds notice,overdue)\n";
    return 0;
  });

  auto r = std::make_shared<WebhookRemoveOpts>();
  auto* remove = hook->add_subcommand("remove", "Remove a webhook for good");
  remove->add_option("id", r->id, "its id (wh_...), as webhook list shows it")->required();
  add_engine_flags(remove, r->e);
  with_engine(remove, run, r, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::Webhook h = engine.remove_webhook(o.id);
    std::cout << "removed " << h.id << " (" << h.url << ") at " << h.removed << "\n";
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(71, add_webhook_command);

}  // namespace jreview
