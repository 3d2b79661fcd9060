// An Engine that is a running `jreview serve` (docs/serve.md#the-cli-as-a-
// client): the calls of engine.h sent over HTTP with a bearer token, for a
// program (or the CLI's --server) that cannot open the database the server
// holds.
//
//   auto engine = jointreview::connect_engine("http://127.0.0.1:8080", token);
//   engine->status("20260302-000001");
//
// The actor of every call is the token's: ActRequest::actor and the actor
// of claim()/release() are not sent. Calls the HTTP API does not offer
// (subscribe, fire_due_timers, calendars, update_calendar, weekly_report,
// authenticate, record_webhook ...) throw Error(invalid_argument, reason
// "not_remote"). Errors: the server's problem documents as Error, with the
// reason they carry; a server that cannot be reached: Error(storage,
// reason "unreachable"). Calls are blocking, one at a time per engine.
#pragma once

#include "jointreview/export.h"

#include <memory>
#include <string>

#include "jointreview/engine.h"

namespace jointreview {

// `url`: http://HOST:PORT (no path). Checks the token at once (GET
// /api/v1/whoami): Error(forbidden, "unauthenticated") when it is refused.
JR_EXPORT std::unique_ptr<Engine> connect_engine(const std::string& url, const std::string& token);

}  // namespace jointreview
